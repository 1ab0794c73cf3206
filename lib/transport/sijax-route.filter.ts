import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { nodeRequest, nodeResponse } from './platform.util';
import { refuse } from './sijax-error.reply';

/**
 * Errors on the Sijax route itself (a global guard refusing, a bug) answer in Sijax's format, so
 * the client can report them even from a Comet iframe.
 */
@Catch()
export class SijaxRouteFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    refuse(nodeRequest(http.getRequest()), nodeResponse(http.getResponse()), error);
  }
}
