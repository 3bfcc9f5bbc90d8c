import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { HTTP_STATUS, isNetdError } from '@app/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * The one place an error becomes a status: NetdError kind → HTTP_STATUS; Nest/Fastify HTTP
 * errors keep their status (404 route, 413 body, 400 JSON); anything else is a 500 with a generic
 * message, and the full error goes to the log with the request id.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    const { status, message } = describe(error);
    if (status >= 500) this.log.error({ err: error, reqId: req?.id, url: req?.url }, 'request failed');
    else this.log.debug({ reqId: req?.id, status, message }, 'request rejected');
    if (reply.sent || reply.raw.headersSent) return;
    reply.status(status).header('content-type', 'application/json').send({ message });
  }
}

export function describe(error: unknown): { status: number; message: string } {
  if (isNetdError(error)) {
    const status = HTTP_STATUS[error.kind];
    return { status, message: status >= 500 && error.kind === 'system' ? error.message : error.message };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    const message = status === 404 ? 'page not found' : Array.isArray(raw) ? raw.join(', ') : String(raw ?? error.message);
    return { status, message };
  }
  const fst = error as { statusCode?: unknown; message?: unknown; code?: unknown };
  if (typeof fst?.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    return { status: fst.statusCode, message: String(fst.message ?? 'bad request') };
  }
  return { status: 500, message: 'internal server error' };
}
