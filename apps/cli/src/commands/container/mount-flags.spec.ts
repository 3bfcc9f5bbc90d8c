import { csvFields, parseMountFlag, ramInBytes, tmpfsFlags, volumeFlags } from './mount-flags';

describe('parseMountFlag', () => {
  it.each([
    { v: 'type=bind,source=/x,target=/y,readonly', want: { Type: 'bind', Source: '/x', Target: '/y', ReadOnly: true } },
    { v: 'type=bind,src=/x,dst=/y,ro=false,bind-propagation=RPRIVATE,bind-nonrecursive', want: { Type: 'bind', Source: '/x', Target: '/y', ReadOnly: false, BindOptions: { Propagation: 'rprivate', NonRecursive: true } } },
    { v: 'source=v1,destination=/d,volume-nocopy,volume-label=a=b,volume-label=c', want: { Type: 'volume', Source: 'v1', Target: '/d', VolumeOptions: { NoCopy: true, Labels: { a: 'b', c: '' } } } },
    { v: 'type=volume,target=/d,volume-driver=local,volume-opt=o=x', want: { VolumeOptions: { DriverConfig: { Name: 'local', Options: { o: 'x' } } } } },
    { v: 'type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770', want: { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 2 ** 20, Mode: 0o1770 } } },
    { v: 'TYPE=Bind,Source=./here,target=/y', want: { Type: 'bind', Source: '/work/dir/here', Target: '/y' } },
    { v: '"type=bind","source=/a,b",target=/y', want: { Source: '/a,b' } },
  ])('parses $v', ({ v, want }) => {
    expect(parseMountFlag(v, '/work/dir')).toMatchObject(want);
  });

  it.each([
    { v: 'type=bind,source=/x', msg: 'target is required' },
    { v: 'type=,target=/x', msg: 'type is required' },
    { v: 'target=/x,bogus', msg: "invalid field 'bogus' must be a key=value pair" },
    { v: 'target=/x,color=red', msg: "unexpected key 'color' in 'color=red'" },
    { v: 'target=/x,ro=maybe', msg: 'invalid value for ro: maybe' },
    { v: 'type=tmpfs,target=/x,tmpfs-size=lots', msg: 'invalid value for tmpfs-size: lots' },
    { v: 'type=tmpfs,target=/x,tmpfs-mode=9', msg: 'invalid value for tmpfs-mode: 9' },
    { v: 'type=bind,source=/a,target=/x,volume-nocopy', msg: "cannot mix 'volume-*' options with mount type 'bind'" },
    { v: 'type=volume,target=/x,bind-propagation=shared', msg: "cannot mix 'bind-*' options with mount type 'volume'" },
    { v: 'type=bind,source=/a,target=/x,tmpfs-size=1m', msg: "cannot mix 'tmpfs-*' options with mount type 'bind'" },
    { v: 'target=/x"y', msg: 'bare " in non-quoted-field' },
  ])('refuses $v: $msg', ({ v, msg }) => {
    expect(() => parseMountFlag(v)).toThrow(msg);
  });

  it('on generated input returns a mount with a target or throws an Error', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const parts = ['type=', 'bind', 'volume', 'tmpfs', 'source=', 'target=', '/x', ',', '"', '=', 'ro', 'readonly', 'tmpfs-size=', '1m', 'volume-label=', '__proto__', 'bind-nonrecursive', ''];
    for (let i = 0; i < 5000; i++) {
      let v = '';
      for (let j = 0; j < 1 + Math.floor(rnd() * 8); j++) v += parts[Math.floor(rnd() * parts.length)];
      try {
        const m = parseMountFlag(v);
        expect(m.Target).toBeTruthy();
        expect(m.Type).toBeTruthy();
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('csvFields', () => {
  it('reads quoted fields and doubled quotes', () => {
    expect(csvFields('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  });
});

describe('ramInBytes', () => {
  it.each([['100', 100], ['64m', 64 * 2 ** 20], ['1.5GiB', 1.5 * 2 ** 30], ['2 kb', 2048], ['x', undefined]])('%s', (v, n) => expect(ramInBytes(v as string)).toBe(n));
});

describe('volumeFlags and tmpfsFlags', () => {
  it('sends sources as Binds and bare destinations as Config.Volumes', () => {
    expect(volumeFlags(['v1:/a', '/h:/b:ro', '/anon', './rel:/c'], '/w')).toEqual({ binds: ['v1:/a', '/h:/b:ro', '/w/rel:/c'], volumes: { '/anon': {} } });
  });
  it('splits --tmpfs at the first colon', () => {
    expect(tmpfsFlags(['/run:size=1m,mode=1777', '/t'])).toEqual({ '/run': 'size=1m,mode=1777', '/t': '' });
  });
});
