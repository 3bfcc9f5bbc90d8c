import 'reflect-metadata';
import { IsBoolean, ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { OptionalField } from '../validation';

const hasNul = (s: string) => s.includes('\u0000');
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Docker's `DetachKeys`: comma-separated, each one character or `ctrl-<c>` with c in a-z, @, [, \, ], ^, _. */
const CTRL = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/** Docker's default detach sequence for a TTY session with stdin: ctrl-p, ctrl-q. */
export const DEFAULT_DETACH_KEYS: Readonly<Buffer> = Buffer.from([16, 17]);

/** The bytes of a detach-key sequence (Docker's term.ToBytes), or undefined when it is not one. */
export function parseDetachKeys(text: string): Buffer | undefined {
  const out: number[] = [];
  for (const key of text.split(',')) {
    if (key.length === 1) {
      out.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(key);
    const i = m ? CTRL.indexOf(m[1].toLowerCase()) : -1;
    if (i < 0) return undefined;
    out.push(i);
  }
  return out.length > 0 && out.every((b) => b < 128) ? Buffer.from(out) : undefined;
}

function check(name: string, validate: (value: unknown) => boolean, message: (args: ValidationArguments) => string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name, validator: { validate, defaultMessage: message } }, options);
}

/** `Cmd`: a non-empty list of strings (or one string), no NUL (it cannot reach execve). */
function IsExecCommand(): PropertyDecorator {
  const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || v === '' || (Array.isArray(v) && v[0] === '');
  return check(
    'isExecCommand',
    (v) => !empty(v) && (typeof v === 'string' ? !hasNul(v) : isStringArray(v) && !v.some(hasNul)),
    (a) => (empty(a.value) ? 'No exec command specified' : 'Cmd must be an array of strings without NUL bytes'),
  );
}

/** `Env`: `KEY=value` (or a bare `KEY`, which unsets it), no NUL, no empty key. */
function IsEnvList(): PropertyDecorator {
  const bad = (v: unknown) => (isStringArray(v) ? v.find((e) => e === '' || e.startsWith('=') || hasNul(e)) : undefined);
  return check(
    'isEnvList',
    (v) => isStringArray(v) && bad(v) === undefined,
    (a) => (isStringArray(a.value) ? `invalid environment variable: ${JSON.stringify(bad(a.value)).slice(1, -1)}` : 'Env must be an array of strings'),
  );
}

/** `User`: `name|uid[:group|gid]` (empty: the container's user). Resolved against the container's files. */
function IsUserSpec(): PropertyDecorator {
  return check(
    'isUserSpec',
    (v) => typeof v === 'string' && v.length <= 256 && !hasNul(v) && (v === '' || /^[^:\s/]+(:[^:\s/]+)?$/.test(v)),
    () => 'User must be a string of the form name|uid[:group|gid]',
  );
}

function IsAbsoluteDir(): PropertyDecorator {
  return check(
    'isAbsoluteDir',
    (v) => typeof v === 'string' && (v === '' || (v.startsWith('/') && !hasNul(v) && v.length <= 4096)),
    (a) =>
      typeof a.value !== 'string' ? 'WorkingDir must be a string'
        : hasNul(a.value) || a.value.length > 4096 ? 'WorkingDir must be a path of at most 4096 bytes without NUL'
          : `the working directory '${a.value}' is invalid, it needs to be an absolute path`,
  );
}

function IsDetachKeys(): PropertyDecorator {
  return check(
    'isDetachKeys',
    (v) => typeof v === 'string' && (v === '' || (v.length <= 256 && parseDetachKeys(v) !== undefined)),
    (a) => `Invalid escape keys (${String(a.value).slice(0, 256)}) provided`,
  );
}

/** `[height, width]` of a console. */
function IsConsoleSize(): PropertyDecorator {
  return check(
    'isConsoleSize',
    (v) => Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n) && n >= 0 && n <= 65535),
    () => 'ConsoleSize must be [height, width], whole numbers up to 65535',
  );
}

/** Body of `POST /containers/{id}/exec` (Docker's ExecConfig). Unknown fields are ignored. */
export class ExecCreateDto {
  @IsExecCommand()
  Cmd!: string[] | string;

  @OptionalField()
  @IsEnvList()
  Env?: string[] | null;

  @OptionalField()
  @IsUserSpec()
  User?: string;

  @OptionalField()
  @IsAbsoluteDir()
  WorkingDir?: string;

  @OptionalField()
  @IsBoolean()
  Tty?: boolean;

  @OptionalField()
  @IsBoolean()
  AttachStdin?: boolean;

  @OptionalField()
  @IsBoolean()
  AttachStdout?: boolean;

  @OptionalField()
  @IsBoolean()
  AttachStderr?: boolean;

  @OptionalField()
  @IsBoolean()
  Privileged?: boolean;

  @OptionalField()
  @IsDetachKeys()
  DetachKeys?: string;

  @OptionalField()
  @IsConsoleSize()
  ConsoleSize?: [number, number] | null;
}

/** Body of `POST /exec/{id}/start` (Docker's ExecStartCheck). */
export class ExecStartDto {
  @OptionalField()
  @IsBoolean()
  Detach?: boolean;

  /** How the output is framed (raw with a TTY, multiplexed without), as dockerd decides it. */
  @OptionalField()
  @IsBoolean()
  Tty?: boolean;

  @OptionalField()
  @IsConsoleSize()
  ConsoleSize?: [number, number] | null;
}
