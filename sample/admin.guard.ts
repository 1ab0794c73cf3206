import { ForbiddenException, Injectable, type CanActivate } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

export const ADMIN_COOKIE = 'sample_admin';

/**
 * Lets a call through when the `sample_admin=yes` cookie says so: a stand-in for a real check of
 * the signed-in user. A refusal reaches the page as a 403 error and the handler never runs.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IncomingMessage>();
    const cookies = (request.headers.cookie ?? '').split(';').map((pair) => pair.trim());
    if (cookies.includes(`${ADMIN_COOKIE}=yes`)) return true;
    throw new ForbiddenException('Admins only: tick "I am an admin" first');
  }
}
