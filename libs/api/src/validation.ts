import { IpAddr, Prefix } from '@app/common';
import { ValidateBy, ValidateIf, ValidationOptions, buildMessage } from 'class-validator';

/**
 * Composed validators for request DTOs (shape only: the meaning — gateway inside subnet, overlap —
 * is checked by IPAM and the services). Messages name the field, so the joined message a client
 * sees says what was wrong.
 */

/** Docker's name rule: an alphanumeric, then `[a-zA-Z0-9_.-]`; at most 255 bytes. */
export const NETWORK_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const NAME_MAX_LENGTH = 255;
/** Longest string any free-form field accepts (labels, options, aliases). */
export const TEXT_MAX_LENGTH = 4096;

export function isNetworkName(value: unknown): boolean {
  return typeof value === 'string' && value.length <= NAME_MAX_LENGTH && NETWORK_NAME_PATTERN.test(value);
}

export function IsNetworkName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNetworkName',
      validator: {
        validate: (value) => isNetworkName(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must start with a letter or digit and contain only [a-zA-Z0-9_.-] (at most ${NAME_MAX_LENGTH} characters)`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsCidr(opts: { family?: 4 | 6 } = {}, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCidr',
      validator: {
        validate: (value) => {
          const p = typeof value === 'string' ? Prefix.tryParse(value) : undefined;
          return !!p && (opts.family === undefined || p.family === opts.family);
        },
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a CIDR address${opts.family ? ` (IPv${opts.family})` : ''}, got $value`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsIpAddress(opts: { family?: 4 | 6 } = {}, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIpAddress',
      validator: {
        validate: (value) => {
          const ip = typeof value === 'string' ? IpAddr.tryParse(value) : undefined;
          return !!ip && (opts.family === undefined || ip.family === opts.family);
        },
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an IP${opts.family ? `v${opts.family}` : ''} address, got $value`,
          options,
        ),
      },
    },
    options,
  );
}

/** Driver names: Docker's plugin name charset, short. */
export function IsDriverName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDriverName',
      validator: {
        validate: (value) => typeof value === 'string' && value.length <= 64 && /^[a-zA-Z0-9][a-zA-Z0-9_./:-]*$/.test(value),
        defaultMessage: buildMessage((each) => `${each}$property must be a driver name`, options),
      },
    },
    options,
  );
}

/** A JSON object whose values are all strings (Labels, Options, DriverOpts), bounded in size. */
export function IsStringMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringMap',
      validator: {
        validate: (value) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.entries(value).every(
            ([k, v]) => k.length <= TEXT_MAX_LENGTH && typeof v === 'string' && v.length <= TEXT_MAX_LENGTH,
          ),
        defaultMessage: buildMessage((each) => `${each}$property must be an object of strings`, options),
      },
    },
    options,
  );
}

/** Docker treats a missing field and `null` alike; so do we, unless `nullable: false`. */
export function OptionalField(opts: { nullable?: boolean } = {}): PropertyDecorator {
  const nullable = opts.nullable ?? true;
  return ValidateIf((_obj, value) => (nullable ? value !== undefined && value !== null : value !== undefined));
}
