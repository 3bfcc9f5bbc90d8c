import { InvalidParameterError, NotImplementedError } from '@app/common';
import { posix } from 'node:path';

export type MountType = 'bind' | 'volume' | 'tmpfs';

/**
 * A mount as a client asked for it, parsed and checked, before any volume exists (moby's
 * MountPoint as its parser returns it). Paths are cleaned.
 */
export interface MountPoint {
  readonly type: MountType;
  readonly destination: string;
  /** bind: the host path; volume: the name, '' for an anonymous volume; tmpfs: ''. */
  readonly source: string;
  readonly rw: boolean;
  /** What inspect shows as Mode: the `-v` mode text as given ('' otherwise). */
  readonly mode: string;
  /** bind: the propagation (default rprivate); '' for the other types. */
  readonly propagation: string;
  /** volume: fill a new (empty) volume from the image's content at the destination. */
  readonly copyData: boolean;
  /** bind: `bind` instead of `rbind` (BindOptions.NonRecursive). */
  readonly nonRecursive?: boolean;
  /** bind: a missing source is created (`-v`, BindOptions.CreateMountpoint); else it must exist. */
  readonly createSource?: boolean;
  /** volume: labels for a volume this mount creates (VolumeOptions.Labels). */
  readonly volumeLabels?: Readonly<Record<string, string>>;
  /** volume: the driver asked for ('' = local); VolumeOptions.DriverConfig.Name or VolumeDriver. */
  readonly driver?: string;
  /** volume: driver options asked for (VolumeOptions.DriverConfig.Options). */
  readonly driverOptions?: Readonly<Record<string, string>>;
  /** tmpfs: mount options (size=…, mode=…, ro), Docker's defaults not yet added. */
  readonly tmpfsData?: string;
}

const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);
export const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const COPY_MODES = new Set(['nocopy']);
/**
 * Consistency modes (Docker Desktop's file sharing). Each permits delays between host and
 * container; a Linux bind mount is always consistent, which satisfies all of them.
 */
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated', 'default']);
const DEFAULT_PROPAGATION = 'rprivate';

export const invalidSpec = (raw: string) => new InvalidParameterError(`invalid volume specification: '${raw}'`);
const invalidMode = (mode: string) => new InvalidParameterError(`invalid mode: ${mode}`);

/** moby's linuxValidMountMode: comma-separated, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = RW_MODES.has(o) ? 0 : LABEL_MODES.has(o) ? 1 : PROPAGATION_MODES.has(o) ? 2 : COPY_MODES.has(o) ? 3 : o !== 'default' && CONSISTENCY_MODES.has(o) ? 4 : -1;
    if (kind < 0) return false;
    if (++counts[kind] > 1) return false;
  }
  return true;
}

const modeOptions = (mode: string) => (mode === '' ? [] : mode.split(','));
const readWrite = (mode: string) => validMountMode(mode) && !modeOptions(mode).includes('ro');
const propagationOf = (mode: string) => modeOptions(mode).find((o) => PROPAGATION_MODES.has(o));

/** Go's path.Clean for absolute and relative paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

class MountConfigError extends InvalidParameterError {
  constructor(type: string, message: string) {
    super(`invalid mount config for type ${JSON.stringify(type)}: ${message}`);
  }
}

function checkPathText(p: string, type: string): void {
  // NUL ends a C string: runc would mount somewhere else than the name says
  if (p.includes('\0')) throw new MountConfigError(type, `invalid mount path: ${JSON.stringify(p)} contains a NUL byte`);
}

/** moby's linuxValidateNotRoot + linuxValidateAbsolute on a target. */
function checkTarget(target: string, type: string): void {
  if (target === '') throw new MountConfigError(type, 'field Target must not be empty');
  checkPathText(target, type);
  if (cleanPath(target) === '/') throw new MountConfigError(type, "invalid specification: destination can't be '/'");
  if (!target.startsWith('/')) throw new MountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
}

/** The API's `Mount` object (HostConfig.Mounts[]), loosely typed as it arrives. */
export interface MountRequest {
  Type?: unknown;
  Source?: unknown;
  Target?: unknown;
  ReadOnly?: unknown;
  Consistency?: unknown;
  BindOptions?: unknown;
  VolumeOptions?: unknown;
  TmpfsOptions?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function field<T>(obj: Record<string, unknown>, key: string, kind: 'string' | 'boolean' | 'number' | 'object', where: string): T | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const ok = kind === 'object' ? isObject(v) : typeof v === kind && (kind !== 'number' || Number.isSafeInteger(v));
  if (!ok) throw new InvalidParameterError(`invalid mount: ${where}${key} must be ${kind === 'object' ? 'an object' : kind === 'number' ? 'an integer' : `a ${kind}`}`);
  return v as T;
}

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw new InvalidParameterError(`invalid mount: ${where} must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Options netd cannot honour: a clear 501 rather than a mount that differs from what was asked. */
function refuse(what: string, why: string): never {
  throw new NotImplementedError(`${what} is not supported by netd (${why})`);
}

/**
 * `HostConfig.Mounts[i]` (`--mount`), checked as moby's validateMountConfig does, with its
 * messages. `sourceExists` answers whether a bind source exists (moby checks at create).
 */
export function parseMount(m: unknown, sourceExists: (path: string) => boolean): MountPoint {
  if (!isObject(m)) throw new InvalidParameterError('invalid mount: each entry of Mounts must be an object');
  const type = field<string>(m, 'Type', 'string', '') ?? '';
  const source = field<string>(m, 'Source', 'string', '') ?? '';
  const target = field<string>(m, 'Target', 'string', '') ?? '';
  const readOnly = field<boolean>(m, 'ReadOnly', 'boolean', '') ?? false;
  const consistency = field<string>(m, 'Consistency', 'string', '') ?? '';
  const bindOpts = field<Record<string, unknown>>(m, 'BindOptions', 'object', '');
  const volOpts = field<Record<string, unknown>>(m, 'VolumeOptions', 'object', '');
  const tmpfsOpts = field<Record<string, unknown>>(m, 'TmpfsOptions', 'object', '');
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') {
    if (type === 'npipe' || type === 'cluster' || type === 'image') refuse(`mount type ${JSON.stringify(type)}`, 'bind, volume and tmpfs only');
    throw new MountConfigError(type, 'mount type unknown');
  }
  checkTarget(target, type);
  if (consistency !== '' && !CONSISTENCY_MODES.has(consistency)) throw new MountConfigError(type, `invalid consistency: ${consistency}`);
  const destination = cleanPath(target);
  const base = { destination, rw: !readOnly, mode: '', propagation: '', copyData: true };
  switch (type) {
    case 'bind': {
      if (source === '') throw new MountConfigError(type, 'field Source must not be empty');
      checkPathText(source, type);
      const propagation = bindOpts ? (field<string>(bindOpts, 'Propagation', 'string', 'BindOptions.') ?? '') : '';
      if (propagation !== '' && !PROPAGATION_MODES.has(propagation)) throw new MountConfigError(type, `invalid propagation mode: ${propagation}`);
      if (volOpts) throw new MountConfigError(type, 'field VolumeOptions must not be specified');
      if (tmpfsOpts) throw new MountConfigError(type, 'field TmpfsOptions must not be specified');
      if (!source.startsWith('/')) throw new MountConfigError(type, `invalid mount path: '${source}' mount path must be absolute`);
      const nonRecursive = bindOpts ? field<boolean>(bindOpts, 'NonRecursive', 'boolean', 'BindOptions.') : undefined;
      const create = bindOpts ? field<boolean>(bindOpts, 'CreateMountpoint', 'boolean', 'BindOptions.') : undefined;
      for (const k of ['ReadOnlyNonRecursive', 'ReadOnlyForceRecursive']) {
        if (bindOpts && field<boolean>(bindOpts, k, 'boolean', 'BindOptions.')) refuse(`BindOptions.${k}`, 'read-only bind mounts are recursive');
      }
      const clean = cleanPath(source);
      if (!create && !sourceExists(clean)) throw new MountConfigError(type, `bind source path does not exist: ${clean}`);
      checkPropagation(propagation || DEFAULT_PROPAGATION);
      return { ...base, type, source: clean, propagation: propagation || DEFAULT_PROPAGATION, nonRecursive: nonRecursive || undefined, createSource: create || undefined };
    }
    case 'volume': {
      if (bindOpts) throw new MountConfigError(type, 'field BindOptions must not be specified');
      if (tmpfsOpts) throw new MountConfigError(type, 'field TmpfsOptions must not be specified');
      if (source === '' && readOnly) throw new MountConfigError(type, 'must not set ReadOnly mode when using anonymous volumes');
      let noCopy = false;
      let labels: Record<string, string> | undefined;
      let driver = '';
      let driverOptions: Record<string, string> | undefined;
      if (volOpts) {
        noCopy = field<boolean>(volOpts, 'NoCopy', 'boolean', 'VolumeOptions.') ?? false;
        labels = stringMap(volOpts.Labels, 'VolumeOptions.Labels');
        const dc = field<Record<string, unknown>>(volOpts, 'DriverConfig', 'object', 'VolumeOptions.');
        if (dc) {
          driver = field<string>(dc, 'Name', 'string', 'VolumeOptions.DriverConfig.') ?? '';
          driverOptions = stringMap(dc.Options, 'VolumeOptions.DriverConfig.Options');
        }
        if (field<string>(volOpts, 'Subpath', 'string', 'VolumeOptions.')) refuse('VolumeOptions.Subpath', 'a volume is mounted whole');
      }
      return { ...base, type, source, copyData: !noCopy, volumeLabels: labels, driver, driverOptions };
    }
    case 'tmpfs': {
      if (bindOpts) throw new MountConfigError(type, 'field BindOptions must not be specified');
      if (volOpts) throw new MountConfigError(type, 'field VolumeOptions must not be specified');
      if (source !== '') throw new MountConfigError(type, 'field Source must not be specified');
      let data: string;
      try {
        data = tmpfsOptionsData(tmpfsOpts, readOnly);
      } catch (e) {
        if (e instanceof InvalidParameterError) throw new MountConfigError(type, e.message);
        throw e;
      }
      return { ...base, type, source: '', tmpfsData: data };
    }
  }
}

/** moby's ConvertTmpfsOptions: SizeBytes and Mode as mount data (`size=64m,mode=1777`). */
function tmpfsOptionsData(o: Record<string, unknown> | undefined, readOnly: boolean): string {
  const parts: string[] = readOnly ? ['ro'] : [];
  if (!o) return parts.join(',');
  const mode = field<number>(o, 'Mode', 'number', 'TmpfsOptions.') ?? 0;
  let size = field<number>(o, 'SizeBytes', 'number', 'TmpfsOptions.') ?? 0;
  if (o.Options !== undefined && o.Options !== null && !(Array.isArray(o.Options) && o.Options.length === 0)) refuse('TmpfsOptions.Options', 'size and mode only');
  if (mode < 0 || mode > 0o7777) throw new InvalidParameterError(`invalid tmpfs mode: ${mode}`);
  if (size < 0) throw new InvalidParameterError(`invalid tmpfs size: ${size}`);
  if (mode !== 0) parts.push(`mode=${mode.toString(8)}`);
  if (size !== 0) {
    let suffix = '';
    for (const [s, d] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    parts.push(`size=${size}${suffix}`);
  }
  return parts.join(',');
}

/**
 * Bind mounts are made inside the container's private mount namespace, so a propagation other
 * than private would be taken and not honoured.
 */
function checkPropagation(p: string): void {
  if (p !== 'private' && p !== 'rprivate') refuse(`bind propagation ${JSON.stringify(p)}`, 'bind mounts are private to the container');
}

/**
 * One `HostConfig.Binds` entry (`-v`): `[source:]target[:mode]`, with moby's ParseMountRaw rules
 * and messages. An absolute source is a bind mount, any other a volume name (checked when the
 * volume is made); no source is an anonymous volume.
 */
export function parseBind(raw: string, volumeDriver = ''): MountPoint {
  const arr = raw.split(':');
  if (arr[0] === '' || arr.length > 3) throw invalidSpec(raw);
  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) target = arr[0];
  else if (arr.length === 2) {
    // a destination with a mode (`/foo:rw`) names no volume
    if (validMountMode(arr[1])) throw invalidSpec(raw);
    [source, target] = arr;
  } else [source, target, mode] = arr;
  if (!validMountMode(mode)) throw invalidMode(mode);
  const type: MountType = source.startsWith('/') ? 'bind' : 'volume';
  const propagation = propagationOf(mode);
  const wrap = (e: unknown) => (e instanceof InvalidParameterError ? new InvalidParameterError(`invalid volume specification: '${raw}': ${e.message}`) : e);
  try {
    checkTarget(target, type);
    if (type === 'volume' && propagation) throw new MountConfigError(type, 'field BindOptions must not be specified');
    if (source !== '') checkPathText(source, type);
  } catch (e) {
    throw wrap(e);
  }
  const destination = cleanPath(target);
  const rw = readWrite(mode);
  if (type === 'bind') {
    checkPropagation(propagation ?? DEFAULT_PROPAGATION);
    return { type, destination, source: cleanPath(source), rw, mode, propagation: propagation ?? DEFAULT_PROPAGATION, copyData: true, createSource: true };
  }
  // z/Z relabel for SELinux; this host has none to relabel, as dockerd without SELinux does
  return { type, destination, source, rw, mode, propagation: '', copyData: !modeOptions(mode).includes('nocopy'), driver: volumeDriver };
}

/** `--volumes-from container[:ro|rw]` (moby's ParseVolumesFrom). */
export function parseVolumesFrom(spec: string): { container: string; rw: boolean } {
  if (spec === '') throw new InvalidParameterError('volumes-from specification cannot be an empty string');
  const colon = spec.indexOf(':');
  const container = colon < 0 ? spec : spec.slice(0, colon);
  const mode = colon < 0 ? 'rw' : spec.slice(colon + 1);
  if (!validMountMode(mode)) throw invalidMode(mode);
  // propagation and copy modes belong to the mounts being copied, not to the copy
  if (propagationOf(mode) || modeOptions(mode).includes('nocopy')) throw invalidSpec(spec);
  return { container, rw: readWrite(mode) };
}

/** The mount flags tmpfs options may carry (moby's mount.flags), and the data options tmpfs takes. */
const TMPFS_FLAGS = new Set([
  'ro', 'rw', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'sync', 'async', 'dirsync', 'mand', 'nomand', 'atime', 'noatime',
  'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime', 'nostrictatime',
  ...PROPAGATION_MODES,
]);
/** Flags that cancel each other: the later one wins (moby keys them by flag bit). */
const FLAG_KEY: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev', exec: 'noexec', noexec: 'noexec',
  sync: 'sync', async: 'sync', mand: 'mand', nomand: 'mand', atime: 'noatime', noatime: 'noatime', diratime: 'nodiratime',
  nodiratime: 'nodiratime', relatime: 'relatime', norelatime: 'relatime', strictatime: 'strictatime', nostrictatime: 'strictatime', dirsync: 'dirsync',
};
const TMPFS_DATA: Record<string, RegExp> = {
  size: /^\d+[kmgKMG%]?$/,
  nr_blocks: /^\d+[kmgKMG%]?$/,
  nr_inodes: /^\d+[kmgKMG%]?$/,
  mode: /^[0-7]{1,4}$/,
  uid: /^\d{1,10}$/,
  gid: /^\d{1,10}$/,
  mpol: /^(default|local|prefer(:\d+)?|bind:[\d,-]+|interleave(:[\d,-]+)?)$/,
};

/**
 * A tmpfs mount's options: Docker's defaults (noexec, nosuid, nodev) then `data`, merged as
 * moby's MergeTmpfsOptions does (a later flag or key replaces an earlier one). Values are
 * checked here, since the kernel would refuse them only at start.
 */
export function tmpfsMountOptions(data: string): string[] {
  const options = ['noexec', 'nosuid', 'nodev', ...(data === '' ? [] : data.split(','))];
  const flags = new Set<string>();
  const keys = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i];
    if (o === 'defaults') continue;
    if (TMPFS_FLAGS.has(o)) {
      const key = PROPAGATION_MODES.has(o) ? 'propagation' : FLAG_KEY[o];
      if (!flags.has(key)) {
        flags.add(key);
        out.unshift(o);
      }
      continue;
    }
    const eq = o.indexOf('=');
    const k = eq < 0 ? o : o.slice(0, eq);
    if (eq < 0 || !Object.prototype.hasOwnProperty.call(TMPFS_DATA, k)) throw new InvalidParameterError(`invalid tmpfs option ${JSON.stringify([o])}`);
    if (!TMPFS_DATA[k].test(o.slice(eq + 1))) throw new InvalidParameterError(`invalid tmpfs option ${JSON.stringify([o])}: bad value`);
    if (!keys.has(k)) {
      keys.add(k);
      out.unshift(o);
    }
  }
  const p = out.find((o) => PROPAGATION_MODES.has(o));
  if (p) checkPropagation(p);
  return out;
}

/** One `HostConfig.Tmpfs` entry (`--tmpfs /run:size=64m`): destination and options, checked. */
export function parseTmpfsEntry(destination: string, data: string): MountPoint {
  checkTarget(destination, 'tmpfs');
  if (typeof data !== 'string') throw new InvalidParameterError(`invalid tmpfs options for ${destination}`);
  const rw = !tmpfsMountOptions(data).includes('ro');
  return { type: 'tmpfs', destination: cleanPath(destination), source: '', rw, mode: '', propagation: '', copyData: false, tmpfsData: data };
}
