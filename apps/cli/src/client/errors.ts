import { HTTP_STATUS, type ErrorKind } from '@app/common/errors';

const KIND_OF_STATUS = new Map<number, ErrorKind>(Object.entries(HTTP_STATUS).map(([k, s]) => [s, k as ErrorKind]));

/**
 * Handlers are separate bundles (build.mjs), each with its own copy of these classes, so
 * errors are recognised by name (`isError(e, 'DaemonError')`), never by `instanceof`.
 */
export function isError<T extends 'DaemonError' | 'ConnectionError' | 'UsageError' | 'TemplateError'>(
  e: unknown,
  name: T,
): e is { DaemonError: DaemonError; ConnectionError: ConnectionError; UsageError: UsageError; TemplateError: Error }[T] {
  return e instanceof Error && e.name === name;
}

/** The daemon answered with an error status and a `{message}` body (Docker's ErrorResponse). */
export class DaemonError extends Error {
  readonly kind: ErrorKind;

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DaemonError';
    this.kind = KIND_OF_STATUS.get(status) ?? (status >= 500 ? 'system' : 'invalid-parameter');
  }
}

/** The daemon could not be reached (no socket, refused, TLS failure). */
export class ConnectionError extends Error {
  constructor(
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot connect to ${host}`, options);
    this.name = 'ConnectionError';
  }
}

/** A mistake in the command line found before anything was sent (docker: "Error: …", exit 1). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
