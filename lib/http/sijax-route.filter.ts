import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { nodeRequest, nodeResponse, requestBody } from './platform';
import { refuse } from './replies';
import { callIdOf } from './request-parser';

/**
 * Errors on the Sijax route itself (a global guard refusing, a bug) answer in Sijax's format, so
 * the client can report them even from a Comet iframe.
 */
@Catch()
export class SijaxRouteFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request: unknown = http.getRequest();
    const req = nodeRequest(request);
    refuse(req, nodeResponse(http.getResponse()), error, callIdOf(req, requestBody(request)));
  }
}
