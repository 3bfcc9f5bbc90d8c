import { resolve } from 'node:path';
import type { MountSpec } from '../../client/engine-types';

const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | undefined {
  return GO_TRUE.includes(v) ? true : GO_FALSE.includes(v) ? false : undefined;
}

/** go-units RAMInBytes: `64m`, `1.5GiB`, `100` (binary multiples). */
export function ramInBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (!m) return undefined;
  const mult = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.floor(Number.parseFloat(m[1]) * mult);
}

/** One CSV record (Go's encoding/csv, as docker reads --mount): quoted fields may hold commas. */
export function csvFields(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('extraneous or missing " in quoted-field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',') throw new Error('extraneous or missing " in quoted-field');
    } else {
      const end = text.indexOf(',', i);
      field = text.slice(i, end < 0 ? text.length : end);
      if (field.includes('"')) throw new Error('bare " in non-quoted-field');
      i = end < 0 ? text.length : end;
    }
    out.push(field);
    if (i >= text.length) return out;
    i++; // the comma
  }
}

/**
 * docker's `--mount` (cli/opts MountOpt.Set): `type=bind,source=/x,target=/y,readonly`, with
 * its messages. Throws Error(message).
 */
export function parseMountFlag(value: string, cwd = process.cwd()): MountSpec {
  const mount: MountSpec = { Type: 'volume' };
  const volume = () => (mount.VolumeOptions ??= {});
  const driver = () => (volume().DriverConfig ??= {});
  const bind = () => (mount.BindOptions ??= {});
  const tmpfs = () => (mount.TmpfsOptions ??= {});
  const setOn = (target: Record<string, string>, v: string) => {
    const eq = v.indexOf('=');
    const k = eq < 0 ? v : v.slice(0, eq);
    if (k !== '') Object.defineProperty(target, k, { value: eq < 0 ? '' : v.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  };
  const bool = (key: string, v: string) => {
    const b = parseBool(v);
    if (b === undefined) throw new Error(`invalid value for ${key}: ${v}`);
    return b;
  };
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') mount.ReadOnly = true;
      else if (key === 'volume-nocopy') volume().NoCopy = true;
      else if (key === 'bind-nonrecursive') bind().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type': mount.Type = val.toLowerCase(); break;
      case 'source': case 'src': mount.Source = val.startsWith('./') || val === '.' ? resolve(cwd, val) : val; break;
      case 'target': case 'dst': case 'destination': mount.Target = val; break;
      case 'readonly': case 'ro': mount.ReadOnly = bool(key, val); break;
      case 'consistency': mount.Consistency = val.toLowerCase(); break;
      case 'bind-propagation': bind().Propagation = val.toLowerCase(); break;
      case 'bind-nonrecursive': bind().NonRecursive = bool(key, val); break;
      case 'volume-driver': driver().Name = val; break;
      case 'volume-opt': setOn((driver().Options ??= {}), val); break;
      case 'volume-label': setOn((volume().Labels ??= {}), val); break;
      case 'volume-nocopy': volume().NoCopy = bool(key, val); break;
      case 'tmpfs-size': {
        const n = ramInBytes(val);
        if (n === undefined) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfs().SizeBytes = n;
        break;
      }
      case 'tmpfs-mode': {
        if (!/^[0-7]{1,11}$/.test(val) || Number.parseInt(val, 8) > 0xffffffff) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfs().Mode = Number.parseInt(val, 8);
        break;
      }
      default: throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!mount.Type) throw new Error('type is required');
  if (!mount.Target) throw new Error('target is required');
  for (const [opts, prefix, type] of [[mount.VolumeOptions, 'volume', 'volume'], [mount.BindOptions, 'bind', 'bind'], [mount.TmpfsOptions, 'tmpfs', 'tmpfs']] as const) {
    if (opts && mount.Type !== type) throw new Error(`cannot mix '${prefix}-*' options with mount type '${mount.Type}'`);
  }
  return mount;
}

/**
 * docker's `-v`: a spec with a source (`name:/x`, `/host:/x[:ro]`) is a bind or named volume
 * (HostConfig.Binds, a `./` source made absolute); a bare destination (`/x`) an anonymous
 * volume (Config.Volumes).
 */
export function volumeFlags(specs: readonly string[], cwd = process.cwd()): { binds: string[]; volumes: Record<string, object> } {
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const spec of specs) {
    const colon = spec.indexOf(':');
    if (colon <= 0) {
      volumes[spec] = {};
      continue;
    }
    const hostPart = spec.slice(0, colon);
    binds.push(hostPart === '.' || hostPart.startsWith('./') ? `${resolve(cwd, hostPart)}${spec.slice(colon)}` : spec);
  }
  return { binds, volumes };
}

/** docker's `--tmpfs /run[:options]` → HostConfig.Tmpfs. */
export function tmpfsFlags(specs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of specs) {
    const colon = t.indexOf(':');
    Object.defineProperty(out, colon < 0 ? t : t.slice(0, colon), { value: colon < 0 ? '' : t.slice(colon + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
