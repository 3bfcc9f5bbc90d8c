import { IpAddr, Prefix } from '@app/common';
import { plainToInstance, Transform } from 'class-transformer';
import { ValidateBy, ValidateIf, ValidateNested, ValidationOptions, buildMessage } from 'class-validator';

/**
 * Composed validators for request DTOs (shape only: the meaning — gateway inside subnet, overlap —
 * is checked by IPAM and the services). Messages name the field, so the joined message a client
 * sees says what was wrong.
 */

/**
 * Network names and aliases as dockerd takes them: anything but blank (libnetwork's
 * `IsValidName` is `TrimSpace(name) != ""`), so `my net` and `_net` are names. netd also refuses
 * control characters and more than 255 characters, which no client sends on purpose.
 */
export const NETWORK_NAME_PATTERN = /^(?=.*\S)[^\p{Cc}]+$/u;
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
          (each) => `${each}$property must not be blank or hold control characters (at most ${NAME_MAX_LENGTH} characters)`,
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

/**
 * Where {@link shieldKeys} keeps an object's own `constructor` key. class-transformer takes
 * `value.constructor` of a nested plain object as its class, so `{"constructor": "x"}` anywhere in
 * a body made it throw a TypeError (a 500), and keys named like Object.prototype members
 * (`toString`) were dropped silently.
 */
export const CONSTRUCTOR_KEY = Symbol('constructor');

/** A deep copy of parsed JSON that class-transformer can walk: own `constructor` keys move to {@link CONSTRUCTOR_KEY}. */
export function shieldKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shieldKeys);
  if (!isPlainObject(value)) return value;
  const out: Record<string | symbol, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k === 'constructor' ? CONSTRUCTOR_KEY : k, { value: shieldKeys(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

/** The entries of a JSON object, `constructor` included whether or not {@link shieldKeys} moved it. */
export function ownEntries(value: object): [string, unknown][] {
  const out: [string, unknown][] = Object.entries(value);
  if (Object.prototype.hasOwnProperty.call(value, CONSTRUCTOR_KEY)) out.push(['constructor', (value as Record<symbol, unknown>)[CONSTRUCTOR_KEY]]);
  return out;
}

/**
 * A JSON object as a record without a prototype: `constructor`, `toString` or `__proto__` are
 * keys like any other, and `in`/indexing never reaches Object.prototype. Anything else unchanged.
 */
export function toRecord(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of ownEntries(value)) out[k] = v;
  return out;
}

/** A map of strings (Labels, Options, Sysctls): read from the raw body into a record without a prototype. */
export function StringMapField(options?: ValidationOptions): PropertyDecorator {
  return (target, key) => {
    Transform(({ obj, key: k }) => toRecord((obj as Record<string, unknown>)[k]))(target, key);
    IsStringMap(options)(target, key);
  };
}

/** A map of objects whose values carry no data (ExposedPorts, Volumes: `{"80/tcp": {}}`). */
export function ObjectMapField(options?: ValidationOptions): PropertyDecorator {
  return (target, key) => {
    Transform(({ obj, key: k }) => toRecord((obj as Record<string, unknown>)[k]))(target, key);
    ValidateBy(
      {
        name: 'isObjectMap',
        validator: {
          validate: (value) => isPlainObject(value) && Object.values(value).every((v) => isPlainObject(v) || v === null),
          defaultMessage: buildMessage((each) => `${each}$property must be an object of objects`, options),
        },
      },
      options,
    )(target, key);
  };
}

/**
 * A JSON object of `cls` values (NetworkingConfig.EndpointsConfig), or with `list` of `cls` arrays
 * (PortBindings), as a Map so that each value is validated as a nested DTO and reported under its
 * key. A `null` value is an empty `cls` (a list of one).
 */
export function DtoMapField<T extends object>(cls: () => new () => T, opts: { list?: boolean; what: string }): PropertyDecorator {
  const shaped = (v: unknown) => v === null || (opts.list ? Array.isArray(v) && v.every(isPlainObject) : isPlainObject(v));
  const one = (v: unknown) => (v === null ? new (cls())() : plainToInstance(cls(), v));
  return (target, key) => {
    Transform(({ obj, key: k }) => {
      const raw = (obj as Record<string, unknown>)[k];
      if (!isPlainObject(raw)) return raw;
      const bad = ownEntries(raw).find(([, v]) => !shaped(v));
      // an empty map that only the check below reports, by key: nested validation sees nothing
      if (bad) return Object.assign(new Map(), { badKey: bad[0] });
      return new Map(ownEntries(raw).map(([name, v]) => [name, !opts.list ? one(v) : v === null ? [one(null)] : (v as unknown[]).map(one)]));
    })(target, key);
    ValidateBy({
      name: 'isDtoMap',
      validator: {
        validate: (value) => value instanceof Map && !('badKey' in value),
        defaultMessage: (args) => {
          const badKey = (args?.value as { badKey?: string } | undefined)?.badKey;
          return badKey === undefined
            ? `${args?.property} must be an object of ${opts.what}`
            : `${args?.property}[${JSON.stringify(badKey)}] must be ${opts.list ? `an array of ${opts.what}` : opts.what}`;
        },
      },
    })(target, key);
    ValidateNested({ each: true })(target, key);
  };
}

/** An array of strings (Env, Dns, CapAdd, Binds): one message naming the field. */
export function IsStringList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringList',
      validator: {
        validate: (value) => Array.isArray(value) && value.every((s) => typeof s === 'string'),
        defaultMessage: buildMessage((each) => `${each}$property must be an array of strings`, options),
      },
    },
    options,
  );
}

/** An array of JSON objects (Devices, Mounts, Ulimits). */
export function IsObjectList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isObjectList',
      validator: {
        validate: (value) => Array.isArray(value) && value.every(isPlainObject),
        defaultMessage: buildMessage((each) => `${each}$property must be an array of objects`, options),
      },
    },
    options,
  );
}

/** Docker's StrSlice (Cmd, Entrypoint, Shell): a string or an array of strings. */
export function IsStrSlice(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStrSlice',
      validator: {
        validate: (value) => typeof value === 'string' || (Array.isArray(value) && value.every((s) => typeof s === 'string')),
        defaultMessage: buildMessage((each) => `${each}$property must be a string or an array of strings`, options),
      },
    },
    options,
  );
}
