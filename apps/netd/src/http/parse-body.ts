import { shieldKeys } from '@app/api';
import { InvalidParameterError } from '@app/common';
import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';

function flatten(errors: readonly ValidationError[], path = ''): string[] {
  return errors.flatMap((e) => {
    const prefix = path ? `${path}.` : '';
    const own = Object.values(e.constraints ?? {}).map((m) => `${prefix}${m}`);
    return [...own, ...flatten(e.children ?? [], `${prefix}${e.property}`)];
  });
}

/**
 * Validate a request body against its DTO class. Explicit rather than a global pipe reading
 * `design:paramtypes`, so it works the same under tsc, swc and esbuild builds. Unknown fields are
 * stripped (Docker ignores them); anything else wrong is one InvalidParameterError naming every
 * problem.
 */
export function parseBody<T extends object>(cls: new () => T, body: unknown): T {
  if (body === undefined || body === null) throw new InvalidParameterError('request body is required');
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameterError('request body must be a JSON object');
  let dto: T;
  try {
    dto = plainToInstance(cls, shieldKeys(body));
  } catch (e) {
    // shieldKeys moves the keys class-transformer cannot copy; anything else it fails on is
    // still the client's input, not a daemon failure
    throw new InvalidParameterError(`request body cannot be read: ${(e as Error).message}`);
  }
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: true, validationError: { target: false, value: false } });
  if (errors.length > 0) throw new InvalidParameterError(flatten(errors).join('; '));
  return dto;
}
