/**
 * netd's error kinds: one base class with a `kind`, one subclass per kind (moby's errdefs in TS).
 *
 * Libs throw only these. The daemon's single exception filter maps `kind` to an HTTP status
 * through {@link HTTP_STATUS}; nothing else decides a status.
 *
 * Deliberate deviation from libnetwork: pool overlap, address in use and "network has active
 * endpoints" are Conflict (409), not Forbidden. Each can be cleared by changing state, which is
 * errdefs' own definition of Conflict. Do not "fix" this back.
 */
export type ErrorKind =
  | 'invalid-parameter'
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  | 'unavailable'
  | 'not-implemented'
  | 'system';

export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  'invalid-parameter': 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  system: 500,
  'not-implemented': 501,
  unavailable: 503,
};

export abstract class NetdError extends Error {
  abstract readonly kind: ErrorKind;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input is wrong: bad CIDR, gateway outside the subnet, unknown driver option. */
export class InvalidParameterError extends NetdError {
  readonly kind = 'invalid-parameter' as const;
}

/** The object does not exist: network, endpoint, container, driver ("plugin not found"). */
export class NotFoundError extends NetdError {
  readonly kind = 'not-found' as const;
}

/** The current state conflicts; a state change can clear it (duplicate name, overlap, in use). */
export class ConflictError extends NetdError {
  readonly kind = 'conflict' as const;
}

/** Never allowed: removing a predefined network, a second host/none network. */
export class ForbiddenError extends NetdError {
  readonly kind = 'forbidden' as const;
}

/** Not ready or exhausted now: no free address in a pool, discovery not joined. */
export class UnavailableError extends NetdError {
  readonly kind = 'unavailable' as const;
}

/** Not supported here. */
export class NotImplementedError extends NetdError {
  readonly kind = 'not-implemented' as const;
}

/** An internal failure, e.g. a kernel call that failed unexpectedly. */
export class SystemError extends NetdError {
  readonly kind = 'system' as const;
}

/**
 * Several failures gathered by a best-effort operation (teardown keeps going after an error).
 * Its kind is that of the first error when all agree, else `system`.
 */
export class MultiError extends NetdError {
  readonly kind: ErrorKind;

  constructor(
    context: string,
    readonly errors: readonly unknown[],
  ) {
    super(`${context}: ${errors.map(describe).join('; ')}`);
    const kinds = new Set(errors.map((e) => (isNetdError(e) ? e.kind : 'system')));
    this.kind = kinds.size === 1 ? [...kinds][0] : 'system';
  }
}

export function isNetdError(e: unknown): e is NetdError {
  return e instanceof NetdError;
}

/** The status the API answers with for any thrown value (unknown errors are 500). */
export function httpStatusOf(e: unknown): number {
  return isNetdError(e) ? HTTP_STATUS[e.kind] : 500;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Throw {@link MultiError} if any error was collected. */
export function throwIfAny(context: string, errors: readonly unknown[]): void {
  if (errors.length === 1 && isNetdError(errors[0])) throw errors[0];
  if (errors.length > 0) throw new MultiError(context, errors);
}
