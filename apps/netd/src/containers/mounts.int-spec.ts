import { describeAsRoot } from '@app/kernel/testing';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useNetd } from '../testing/netd-suite';
import { tarOf } from '../testing/tar';

/**
 * Volumes, bind mounts and tmpfs in real runc containers of the seeded busybox: what one
 * container writes through a volume another sees, across a daemon restart; an image VOLUME is
 * filled from the image; ro holds; hostile specs make nothing.
 */
/** Docker's multiplexed log stream → the text of its frames. */
function demux(b: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= b.length; ) {
    const n = b.readUInt32BE(i + 4);
    out += b.subarray(i + 8, i + 8 + n).toString('latin1');
    i += 8 + n;
  }
  return out;
}

describeAsRoot('container mounts against a real daemon', () => {
  let hostDir: string;
  const daemon = useNetd({ bridge: 'nmv0' });
  const { call } = daemon;

  /** Create, start, wait; the exit code and the output, stdout and stderr in order. */
  async function runToEnd(cmd: string, hc: object = {}, extra: object = {}): Promise<{ id: string; code: number; out: string }> {
    const id = await daemon.runContainer({ Tty: false, Cmd: ['sh', '-c', cmd], HostConfig: { NetworkMode: 'none', ...hc }, ...extra });
    const w = await call('POST', `/containers/${id}/wait`);
    const logs = await call('GET', `/containers/${id}/logs?stdout=1&stderr=1`);
    return { id, code: w.body.StatusCode, out: demux(Buffer.from(logs.text, 'latin1')) };
  }
  const volumeNames = async () => ((await call('GET', '/volumes')).body.Volumes as { Name: string }[]).map((v) => v.Name).sort();
  const inspect = async (id: string) => (await call('GET', `/containers/${id}/json`)).body;

  beforeAll(() => {
    hostDir = mkdtempSync(join(tmpdir(), 'netd-bind-'));
  });

  afterAll(() => {
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  it('shares a named volume between containers, made on first use, and keeps it across a daemon restart', async () => {
    const w = await runToEnd('echo hello > /data/f && echo done', { Binds: ['shared1:/data'] });
    expect(w).toMatchObject({ code: 0, out: 'done\n' });
    expect(await volumeNames()).toContain('shared1');
    const i = await inspect(w.id);
    expect(i.Mounts).toEqual([{
      Type: 'volume', Name: 'shared1', Source: join(daemon.netd.dataRoot, 'volumes/shared1/_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '',
    }]);
    expect(i.HostConfig).toMatchObject({ Binds: ['shared1:/data'], VolumesFrom: null, VolumeDriver: '' });
    expect(await runToEnd('cat /data/f', { Mounts: [{ Type: 'volume', Source: 'shared1', Target: '/data' }] })).toMatchObject({ code: 0, out: 'hello\n' });

    await daemon.netd.stop();
    await daemon.restart();
    expect(await runToEnd('cat /in/f', { Binds: ['shared1:/in:ro'] })).toMatchObject({ code: 0, out: 'hello\n' });
    // the first container mounts it again on its own restart
    expect((await call('POST', `/containers/${w.id}/start`)).status).toBe(204);
    expect((await call('POST', `/containers/${w.id}/wait`)).body.StatusCode).toBe(0);
    expect((await call('DELETE', '/volumes/shared1')).body.message).toMatch(/^remove shared1: volume is in use - \[[0-9a-f]{64}( [0-9a-f]{64})*\]$/);
  });

  it('enforces ro, and --volumes-from copies mounts with its own mode', async () => {
    const ro = await runToEnd('(echo x > /data/g) 2>&1; echo rc=$?', { Binds: ['shared2:/data:ro'] });
    expect(ro.out).toMatch(/Read-only file system\nrc=1\n$/);
    expect((await inspect(ro.id)).Mounts[0]).toMatchObject({ Mode: 'ro', RW: false });
    const src = await runToEnd('echo from > /v/f', { Binds: ['shared2:/v'] });
    const copy = await runToEnd('cat /v/f; (echo y > /v/h) 2>&1; echo rc=$?', { VolumesFrom: [`${src.id}:ro`] });
    expect(copy.out).toMatch(/^from\n.*Read-only file system\nrc=1\n$/s);
    expect((await inspect(copy.id)).Mounts).toEqual([expect.objectContaining({ Name: 'shared2', Destination: '/v', RW: false })]);
  });

  it('fills a new volume from the image, modes and symlinks kept, and not again once it has data', async () => {
    // the seeded busybox is /bin/busybox and a symlink per applet: sh runs only from a filled volume
    const first = await runToEnd('echo changed > /bin/marker && ls -l /bin/sh', { Binds: ['binvol:/bin'] });
    expect(first).toMatchObject({ code: 0, out: expect.stringContaining('/bin/sh -> /bin/busybox') });
    const data = join(daemon.netd.dataRoot, 'volumes/binvol/_data');
    expect(statSync(join(data, 'busybox')).mode & 0o7777).toBe(0o755);
    expect(readdirSync(data).length).toBeGreaterThan(50);
    const again = await runToEnd('cat /bin/marker', { Binds: ['binvol:/bin'] });
    expect(again.out).toBe('changed\n');
    // the volume's own directory takes the owner and mode of the image's (sticky /tmp, private /root)
    const modes = await runToEnd('stat -c %a /tmp /root', { Binds: ['tmpvol:/tmp', 'rootvol:/root'] });
    expect(modes).toMatchObject({ code: 0, out: '1777\n700\n' });
    expect(statSync(join(daemon.netd.dataRoot, 'volumes/tmpvol/_data')).mode & 0o7777).toBe(0o1777);
    // nocopy leaves a new volume empty
    const empty = await runToEnd('/bin/busybox ls -A /mnt/x | /bin/busybox wc -l', { Mounts: [{ Type: 'volume', Source: 'nocopyvol', Target: '/mnt/x', VolumeOptions: { NoCopy: true } }] });
    expect(empty.out.trim()).toBe('0');
    expect(readdirSync(join(daemon.netd.dataRoot, 'volumes/nocopyvol/_data'))).toEqual([]);
  });

  it('makes an anonymous volume for an image VOLUME, filled from the image; rm -v removes it and keeps named ones', async () => {
    const ctx = await tarOf({ Dockerfile: 'FROM busybox\nVOLUME ["/bin"]\n' });
    const b = await call('POST', '/build?t=volimg:1', ctx, { 'content-type': 'application/x-tar' });
    expect(b.status).toBe(200);
    const before = await volumeNames();
    const r = await runToEnd('readlink /bin/sh; touch /anon2/x', { Binds: ['keepme:/named', '/anon2'] }, { Image: 'volimg:1' });
    expect(r).toMatchObject({ code: 0, out: '/bin/busybox\n' });
    const mounts = (await inspect(r.id)).Mounts as { Name: string; Destination: string; Mode: string }[];
    const anon = mounts.filter((m) => m.Destination !== '/named').map((m) => m.Name);
    expect(anon).toHaveLength(2);
    for (const n of anon) expect(n).toMatch(/^[0-9a-f]{64}$/);
    expect((await inspect(r.id)).Config.Volumes).toEqual({ '/bin': {} });
    expect((await volumeNames()).filter((n) => !before.includes(n)).sort()).toEqual([...anon, 'keepme'].sort());
    expect((await call('DELETE', `/containers/${r.id}?v=1`)).status).toBe(204);
    const after = await volumeNames();
    for (const n of anon) expect(after).not.toContain(n);
    expect(after).toContain('keepme');
    // a build step on that image gets the volume too, and removes it with its container
    const step = await call('POST', '/build?t=volimg:2', await tarOf({ Dockerfile: 'FROM volimg:1\nRUN ls /bin/busybox > /dev/null\n' }), { 'content-type': 'application/x-tar' });
    expect(step.text).toMatch(/Successfully built/);
    expect(await volumeNames()).toEqual(after);
  });

  it('mounts tmpfs from Tmpfs and Mounts, with their options', async () => {
    const r = await runToEnd('grep -E " /(t|u) " /proc/mounts', { Tmpfs: { '/t': 'size=1m,mode=755' }, Mounts: [{ Type: 'tmpfs', Target: '/u', TmpfsOptions: { SizeBytes: 2 * 1024 * 1024, Mode: 0o700 } }] });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tmpfs \/t tmpfs rw,nosuid,nodev,noexec,.*size=1024k,mode=755/m);
    expect(r.out).toMatch(/^tmpfs \/u tmpfs rw,nosuid,nodev,noexec,.*size=2048k,mode=700/m);
    const i = await inspect(r.id);
    expect(i.Mounts).toEqual([{ Type: 'tmpfs', Source: '', Destination: '/u', Mode: '', RW: true, Propagation: '' }]);
    expect(i.HostConfig.Tmpfs).toEqual({ '/t': 'size=1m,mode=755' });
  });

  it('bind-mounts a host directory, read-write and read-only', async () => {
    writeFileSync(join(hostDir, 'in'), 'from host\n');
    chownSync(hostDir, 0, 0);
    chmodSync(hostDir, 0o755);
    const r = await runToEnd('cat /h/in && echo back > /h/out && cat /r/in && ((echo z > /r/z) 2>&1; echo rc=$?)', { Binds: [`${hostDir}:/h`, `${hostDir}:/r:ro`] });
    expect(r.out).toMatch(/^from host\nfrom host\n.*Read-only file system\nrc=1\n$/s);
    expect(readFileSync(join(hostDir, 'out'), 'utf8')).toBe('back\n');
    expect((await inspect(r.id)).Mounts).toEqual([
      { Type: 'bind', Source: hostDir, Destination: '/h', Mode: '', RW: true, Propagation: 'rprivate' },
      { Type: 'bind', Source: hostDir, Destination: '/r', Mode: 'ro', RW: false, Propagation: 'rprivate' },
    ]);
    // -v makes a missing host directory; --mount refuses it
    const missing = join(hostDir, 'made', 'here');
    expect((await runToEnd('true', { Binds: [`${missing}:/m`] })).code).toBe(0);
    expect(statSync(missing).isDirectory()).toBe(true);
  });

  it('refuses a volume in use with 409, and frees it once its containers are gone', async () => {
    const c = await call('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: ['busy:/b'], NetworkMode: 'none' } });
    expect(c.status).toBe(201);
    expect(await call('DELETE', '/volumes/busy')).toMatchObject({ status: 409, body: { message: `remove busy: volume is in use - [${c.body.Id}]` } });
    expect((await call('GET', '/volumes?filters={"dangling":["false"]}')).body.Volumes.map((v: { Name: string }) => v.Name)).toContain('busy');
    expect((await call('DELETE', `/containers/${c.body.Id}?v=1`)).status).toBe(204);
    expect((await call('DELETE', '/volumes/busy')).status).toBe(204);
  });

  it('refuses hostile and malformed specs with docker\'s 400s, making nothing', async () => {
    expect((await call('POST', '/containers/create?name=mnt-taken', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } })).status).toBe(201);
    const volumesBefore = await volumeNames();
    const containersBefore = (await call('GET', '/containers/json?all=1')).body.length;
    const gone = join(hostDir, 'never-made');
    const cases: [object, number, string][] = [
      [{ Binds: ['../../etc:/x'] }, 400, 'create ../../etc: "../../etc" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
      [{ Binds: ['v1:/'] }, 400, "invalid volume specification: 'v1:/': invalid mount config for type \"volume\": invalid specification: destination can't be '/'"],
      [{ Binds: [`${gone}:/x/../`] }, 400, `invalid volume specification: '${gone}:/x/../': invalid mount config for type "bind": invalid specification: destination can't be '/'`],
      [{ Binds: ['v1:rel'] }, 400, "invalid volume specification: 'v1:rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute"],
      [{ Binds: ['/data:rw'] }, 400, "invalid volume specification: '/data:rw'"],
      [{ Binds: ['a:b:c:d'] }, 400, "invalid volume specification: 'a:b:c:d'"],
      [{ Binds: [`${gone}:/x:rx`] }, 400, 'invalid mode: rx'],
      [{ Binds: ['v1:/d', 'v2:/d/'] }, 400, 'Duplicate mount point: /d'],
      [{ Binds: ['v1:/d'], Mounts: [{ Type: 'tmpfs', Target: '/d' }] }, 400, 'Duplicate mount point: /d'],
      [{ Mounts: [{ Type: 'bind', Source: gone, Target: '/x' }] }, 400, `invalid mount config for type "bind": bind source path does not exist: ${gone}`],
      [{ Mounts: [{ Type: 'volume', Target: '/x', ReadOnly: true }] }, 400, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
      [{ Mounts: [{ Type: 'volume', Source: 'v1', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'nfs' } } }] }, 400, 'error looking up volume plugin nfs: plugin "nfs" not found'],
      [{ Mounts: [{ Type: 'nope', Target: '/x' }] }, 400, 'invalid mount config for type "nope": mount type unknown'],
      [{ Tmpfs: { '/t': 'size=1m,exec=yes' } }, 400, 'invalid tmpfs option ["exec=yes"]'],
      [{ VolumesFrom: ['no-such-container'] }, 400, 'No such container: no-such-container'],
      [{ VolumeDriver: 'nfs', Binds: ['v1:/x'] }, 400, 'error looking up volume plugin nfs: plugin "nfs" not found'],
      [{ Binds: [`${gone}:/x:shared`] }, 501, 'bind propagation "shared" is not supported by netd (bind mounts are private to the container)'],
      [{ Binds: ['v1:/x', `${gone}:/y`], Privileged: true }, 501, 'HostConfig.Privileged is not supported by netd'],
    ];
    const got = [];
    for (const [hc] of cases) {
      const res = await call('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', ...hc } });
      got.push({ status: res.status, message: res.body?.message });
    }
    expect(got).toEqual(cases.map(([, status, message]) => ({ status, message })));
    // a create refused after its volumes were made (the name is taken) takes them back
    const late = await call('POST', '/containers/create?name=mnt-taken', { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: ['late1:/l', '/anon'], NetworkMode: 'none' } });
    expect(late.status).toBe(409);
    expect(await volumeNames()).toEqual(volumesBefore);
    expect((await call('GET', '/containers/json?all=1')).body.length).toBe(containersBefore);
    expect(existsSync(gone)).toBe(false);
    expect(readdirSync(join(daemon.netd.dataRoot, 'volumes')).sort()).toEqual(volumesBefore);
  });
});
