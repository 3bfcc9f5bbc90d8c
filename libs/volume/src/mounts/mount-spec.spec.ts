import { NetdError } from '@app/common';
import { cleanPath, parseBind, parseMount, parseTmpfsEntry, parseVolumesFrom, tmpfsMountOptions, validMountMode } from './mount-spec';
import { prng } from '@app/common/testing';

const exists = (p: string) => p === '/srv' || p === '/srv/data';

describe('parseBind', () => {
  it.each([
    { raw: 'v1:/data', want: { type: 'volume', source: 'v1', destination: '/data', rw: true, mode: '', propagation: '', copyData: true } },
    { raw: 'v1:/data:ro', want: { type: 'volume', source: 'v1', rw: false, mode: 'ro' } },
    { raw: 'v1:/data:nocopy', want: { type: 'volume', copyData: false, mode: 'nocopy' } },
    { raw: '/data', want: { type: 'volume', source: '', destination: '/data' } },
    { raw: '/srv:/h', want: { type: 'bind', source: '/srv', destination: '/h', rw: true, propagation: 'rprivate', createSource: true } },
    { raw: '/srv/:/h/:ro,z', want: { type: 'bind', source: '/srv', destination: '/h', rw: false, mode: 'ro,z' } },
    { raw: '/srv:/h:rprivate', want: { propagation: 'rprivate' } },
    { raw: '/srv/../etc:/x/./y', want: { source: '/etc', destination: '/x/y' } },
    { raw: '/srv:/h:delegated', want: { rw: true, mode: 'delegated' } },
  ])('parses $raw', ({ raw, want }) => {
    expect(parseBind(raw)).toMatchObject(want);
  });

  const spec = (raw: string, rest = '') => `invalid volume specification: '${raw}'${rest}`;
  it.each([
    { raw: '', msg: spec('') },
    { raw: ':/x', msg: spec(':/x') },
    { raw: '/data:rw', msg: spec('/data:rw') },
    { raw: 'a:/b:ro:x', msg: spec('a:/b:ro:x') },
    { raw: 'v:/x:rx', msg: 'invalid mode: rx' },
    { raw: 'v:/x:ro,rw', msg: 'invalid mode: ro,rw' },
    { raw: 'v:/', msg: spec('v:/', ": invalid mount config for type \"volume\": invalid specification: destination can't be '/'") },
    { raw: '/srv:/a/..', msg: spec('/srv:/a/..', ": invalid mount config for type \"bind\": invalid specification: destination can't be '/'") },
    { raw: 'v:rel', msg: spec('v:rel', ": invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute") },
    { raw: 'rel', msg: spec('rel', ": invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute") },
    { raw: 'v:/x:shared', msg: spec('v:/x:shared', ': invalid mount config for type "volume": field BindOptions must not be specified') },
    { raw: 'v:/x\0y', msg: spec('v:/x\0y', ': invalid mount config for type "volume": invalid mount path: "/x\\u0000y" contains a NUL byte') },
  ])('refuses $raw with docker\'s 400', ({ raw, msg }) => {
    expect(() => parseBind(raw)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: msg }));
  });

  it('refuses bind propagation it cannot honour with 501', () => {
    expect(() => parseBind('/srv:/h:rshared')).toThrow(expect.objectContaining({ kind: 'not-implemented' }));
  });

  it('keeps the volume driver for volumes only', () => {
    expect(parseBind('v:/x', 'local').driver).toBe('local');
    expect(parseBind('/srv:/x', 'local').driver).toBeUndefined();
  });

  it('on generated input either parses to a clean absolute destination or throws a NetdError', () => {
    const r = prng(16);
    const parts = ['', '/', 'v1', '/srv', '..', '.', 'ro', 'rw', 'z', 'nocopy', 'shared', ':', ',', '\0', 'x y', '/a/../..', '//', 'é', 'rprivate'];
    for (let i = 0; i < 5000; i++) {
      let raw = '';
      const n = 1 + Math.floor(r() * 6);
      for (let j = 0; j < n; j++) raw += parts[Math.floor(r() * parts.length)];
      try {
        const p = parseBind(raw);
        expect(p.destination.startsWith('/')).toBe(true);
        expect(p.destination).not.toBe('/');
        expect(p.destination).toBe(cleanPath(p.destination));
        expect(p.destination.includes('\0') || p.source.includes('\0')).toBe(false);
        if (p.type === 'bind') expect(p.source).toBe(cleanPath(p.source));
      } catch (e) {
        if (!(e instanceof NetdError)) throw new Error(`${JSON.stringify(raw)}: ${String(e)}`);
        expect(['invalid-parameter', 'not-implemented']).toContain(e.kind);
      }
    }
  });
});

describe('parseMount', () => {
  it.each([
    { m: { Type: 'bind', Source: '/srv', Target: '/h', ReadOnly: true }, want: { type: 'bind', source: '/srv', destination: '/h', rw: false, mode: '', propagation: 'rprivate' } },
    { m: { Type: 'bind', Source: '/nope', Target: '/h', BindOptions: { CreateMountpoint: true } }, want: { createSource: true } },
    { m: { Type: 'bind', Source: '/srv', Target: '/h', BindOptions: { NonRecursive: true, Propagation: 'private' } }, want: { nonRecursive: true, propagation: 'private' } },
    { m: { Type: 'volume', Source: 'v1', Target: '/d', VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } }, want: { type: 'volume', source: 'v1', copyData: false, volumeLabels: { a: 'b' } } },
    { m: { Type: 'volume', Target: '/d' }, want: { type: 'volume', source: '', copyData: true } },
    { m: { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 3 * 2 ** 20, Mode: 0o1777 } }, want: { type: 'tmpfs', tmpfsData: 'mode=1777,size=3m' } },
    { m: { Type: 'tmpfs', Target: '/t', ReadOnly: true, TmpfsOptions: { SizeBytes: 1000 } }, want: { tmpfsData: 'ro,size=1000', rw: false } },
    { m: { Type: 'bind', Source: '/srv', Target: '/h', Consistency: 'cached' }, want: { type: 'bind' } },
  ])('parses $m.Type $m.Target', ({ m, want }) => {
    expect(parseMount(m, exists)).toMatchObject(want);
  });

  const cfg = (t: string, msg: string) => `invalid mount config for type "${t}": ${msg}`;
  it.each([
    { m: { Type: 'bind', Source: '/gone', Target: '/h' }, msg: cfg('bind', 'bind source path does not exist: /gone') },
    { m: { Type: 'bind', Target: '/h' }, msg: cfg('bind', 'field Source must not be empty') },
    { m: { Type: 'bind', Source: 'rel', Target: '/h' }, msg: cfg('bind', "invalid mount path: 'rel' mount path must be absolute") },
    { m: { Type: 'bind', Source: '/srv', Target: '/h', VolumeOptions: {} }, msg: cfg('bind', 'field VolumeOptions must not be specified') },
    { m: { Type: 'bind', Source: '/srv', Target: '/h', BindOptions: { Propagation: 'sideways' } }, msg: cfg('bind', 'invalid propagation mode: sideways') },
    { m: { Type: 'volume', Target: '/d', ReadOnly: true }, msg: cfg('volume', 'must not set ReadOnly mode when using anonymous volumes') },
    { m: { Type: 'volume', Source: 'v', Target: '/d', BindOptions: {} }, msg: cfg('volume', 'field BindOptions must not be specified') },
    { m: { Type: 'tmpfs', Source: 'x', Target: '/t' }, msg: cfg('tmpfs', 'field Source must not be specified') },
    { m: { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: -1 } }, msg: cfg('tmpfs', 'invalid tmpfs size: -1') },
    { m: { Type: 'tmpfs', Target: '/' }, msg: cfg('tmpfs', "invalid specification: destination can't be '/'") },
    { m: { Type: 'volume' }, msg: cfg('volume', 'field Target must not be empty') },
    { m: { Type: '', Target: '/x' }, msg: cfg('', 'mount type unknown') },
    { m: { Type: 'volume', Target: '/x', Consistency: 'sometimes' }, msg: cfg('volume', 'invalid consistency: sometimes') },
    { m: { Type: 5, Target: '/x' }, msg: 'invalid mount: Type must be a string' },
    { m: { Type: 'volume', Target: '/x', VolumeOptions: { NoCopy: 'yes' } }, msg: 'invalid mount: VolumeOptions.NoCopy must be a boolean' },
    { m: { Type: 'tmpfs', Target: '/x', TmpfsOptions: { SizeBytes: 1.5 } }, msg: cfg('tmpfs', 'invalid mount: TmpfsOptions.SizeBytes must be an integer') },
    { m: 'x', msg: 'invalid mount: each entry of Mounts must be an object' },
  ])('refuses $m with docker\'s 400', ({ m, msg }) => {
    expect(() => parseMount(m, exists)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: msg }));
  });

  it.each([
    { m: { Type: 'bind', Source: '/srv', Target: '/h', BindOptions: { Propagation: 'rshared' } } },
    { m: { Type: 'bind', Source: '/srv', Target: '/h', BindOptions: { ReadOnlyNonRecursive: true } } },
    { m: { Type: 'volume', Source: 'v', Target: '/h', VolumeOptions: { Subpath: 'a' } } },
    { m: { Type: 'tmpfs', Target: '/h', TmpfsOptions: { Options: [['exec']] } } },
    { m: { Type: 'image', Source: 'busybox', Target: '/h' } },
  ])('refuses what it cannot honour with 501: $m', ({ m }) => {
    expect(() => parseMount(m, exists)).toThrow(expect.objectContaining({ kind: 'not-implemented' }));
  });

  it('never checks the existence of a path outside what was asked', () => {
    const asked: string[] = [];
    parseMount({ Type: 'bind', Source: '/srv/../srv/data/', Target: '/h' }, (p) => (asked.push(p), true));
    expect(asked).toEqual(['/srv/data']);
  });

  it('keeps a __proto__ label as data', () => {
    const p = parseMount(JSON.parse('{"Type":"volume","Target":"/d","VolumeOptions":{"Labels":{"__proto__":"x"}}}'), exists);
    expect(Object.keys(p.volumeLabels!)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(p.volumeLabels)).toBe(Object.prototype);
  });

  it('on generated objects either parses or throws a NetdError', () => {
    const r = prng(7);
    const values: unknown[] = ['', 'bind', 'volume', 'tmpfs', '/srv', '/x', '/', 'rel', '/a/..', 5, -1, 1.5, true, null, [], {}, { Propagation: 'rslave' }, { NoCopy: true }, { SizeBytes: 1024 }, '\0', { Labels: { a: 1 } }];
    const keys = ['Type', 'Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions'];
    for (let i = 0; i < 5000; i++) {
      const m: Record<string, unknown> = {};
      for (const k of keys) if (r() < 0.6) m[k] = values[Math.floor(r() * values.length)];
      try {
        const p = parseMount(m, exists);
        expect(p.destination.startsWith('/') && p.destination !== '/' && !p.destination.includes('\0')).toBe(true);
      } catch (e) {
        if (!(e instanceof NetdError)) throw new Error(`${JSON.stringify(m)}: ${String(e)}`);
      }
    }
  });
});

describe('parseVolumesFrom', () => {
  it.each([
    { s: 'c1', want: { container: 'c1', rw: true } },
    { s: 'c1:ro', want: { container: 'c1', rw: false } },
    { s: 'c1:rw', want: { container: 'c1', rw: true } },
  ])('parses $s', ({ s, want }) => expect(parseVolumesFrom(s)).toEqual(want));
  it.each([
    { s: '', msg: 'volumes-from specification cannot be an empty string' },
    { s: 'c1:xx', msg: 'invalid mode: xx' },
    { s: 'c1:rshared', msg: "invalid volume specification: 'c1:rshared'" },
    { s: 'c1:nocopy', msg: "invalid volume specification: 'c1:nocopy'" },
  ])('refuses $s', ({ s, msg }) => expect(() => parseVolumesFrom(s)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: msg })));
});

describe('tmpfs options', () => {
  it('puts docker\'s defaults first and lets later options win', () => {
    expect(tmpfsMountOptions('')).toEqual(['noexec', 'nosuid', 'nodev']);
    expect(tmpfsMountOptions('size=64m,exec,size=1g,mode=1777')).toEqual(['nosuid', 'nodev', 'exec', 'size=1g', 'mode=1777']);
    expect(tmpfsMountOptions('ro,rw')).toEqual(['noexec', 'nosuid', 'nodev', 'rw']);
  });
  it.each(['foo', 'size=big', 'mode=999', 'uid=-1', 'exec=yes', 'size=1m,,'])('refuses %s', (o) => {
    expect(() => tmpfsMountOptions(o)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringMatching(/^invalid tmpfs option \[/) }));
  });
  it('parses a Tmpfs entry, ro from its options', () => {
    expect(parseTmpfsEntry('/run/', 'ro,size=1m')).toMatchObject({ type: 'tmpfs', destination: '/run', rw: false, tmpfsData: 'ro,size=1m' });
    expect(() => parseTmpfsEntry('run', '')).toThrow(expect.objectContaining({ message: "invalid mount config for type \"tmpfs\": invalid mount path: 'run' mount path must be absolute" }));
  });
});

describe('validMountMode', () => {
  it.each(['', 'ro', 'rw,z', 'ro,Z,rslave,nocopy,cached'])('accepts %s', (m) => expect(validMountMode(m)).toBe(true));
  it.each(['ro,rw', 'z,Z', 'x', 'ro,', 'shared,slave', 'default'])('refuses %s', (m) => expect(validMountMode(m)).toBe(false));
});
