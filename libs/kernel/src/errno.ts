import {
  ConflictError,
  InvalidParameterError,
  NetdError,
  NotFoundError,
  SystemError,
} from '@app/common';
import { constants } from 'node:os';

/**
 * errno → NetdError kind, shared by the real implementations and the fakes so both fail with the
 * same kind and the same message shape: `<context>: <ERRNO> (<description>)`.
 */
const KIND_OF: Record<string, new (message: string, options?: { cause?: unknown }) => NetdError> = {
  EEXIST: ConflictError,
  EBUSY: ConflictError,
  ENOTEMPTY: ConflictError,
  EADDRINUSE: ConflictError,
  ENODEV: NotFoundError,
  ENOENT: NotFoundError,
  ESRCH: NotFoundError,
  EADDRNOTAVAIL: NotFoundError,
  EINVAL: InvalidParameterError,
  ERANGE: InvalidParameterError,
  // A gateway that no connected route reaches, or a device that is down: the request does not
  // fit the current state of the namespace; the caller must bring the link up / add the address.
  ENETUNREACH: InvalidParameterError,
  ENETDOWN: InvalidParameterError,
  EOPNOTSUPP: InvalidParameterError,
  ENOTSUP: InvalidParameterError,
};

const DESCRIPTION: Record<string, string> = {
  EEXIST: 'File exists',
  EBUSY: 'Device or resource busy',
  ENOTEMPTY: 'Directory not empty',
  EADDRINUSE: 'Address already in use',
  ENODEV: 'No such device',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EINVAL: 'Invalid argument',
  ERANGE: 'Numerical result out of range',
  ENETUNREACH: 'Network is unreachable',
  ENETDOWN: 'Network is down',
  EOPNOTSUPP: 'Operation not supported',
  ENOTSUP: 'Operation not supported',
  EPERM: 'Operation not permitted',
};

/** The errno name of a positive errno number, e.g. 17 → 'EEXIST'. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  for (const [name, value] of Object.entries(constants.errno)) if (value === n) return name;
  return `errno ${n}`;
}

/** Build the NetdError for `errno` (a name like 'EEXIST' or a number). */
export function errnoError(errno: string | number, context: string, cause?: unknown): NetdError {
  const name = typeof errno === 'number' ? errnoName(errno) : errno;
  const Kind = KIND_OF[name] ?? SystemError;
  const text = DESCRIPTION[name];
  return new Kind(`${context}: ${name}${text ? ` (${text})` : ''}`, cause === undefined ? undefined : { cause });
}
