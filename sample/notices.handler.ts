import { BadRequestException, Injectable } from '@nestjs/common';
import { SijaxCallback, type SijaxResponse } from '../lib';

const LEVELS: readonly unknown[] = ['info', 'success', 'warning'];

/** Sends a custom `notify` command, shown by the page's `Sijax.registerCommand('notify', …)`. */
@Injectable()
export class NoticesHandler {
  @SijaxCallback('send_notice')
  send(response: SijaxResponse, level: unknown = 'info') {
    if (!LEVELS.includes(level)) throw new BadRequestException('unknown notice level');
    response.addCommand('notify', { text: `A notice from the server (${String(level)})`, level });
  }
}
