// Volumes, bind mounts and tmpfs in containers: the docker 28 client and netctl against one
// netd, the same commands giving the same output.
import { describeAsRoot } from '@app/kernel/testing';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETCTL, useNetdForSuite } from './support/daemon';
import { exec as run, type Run } from './support/exec';

const TIMEOUT_MS = 30_000;

describeAsRoot('container mounts: docker client and netctl against netd (e2e)', () => {
  let hostDir = '';
  const tag = randomBytes(3).toString('hex');
  const daemon = useNetdForSuite({ netctl: true, bridge: `nm${tag}` });
  const env = () => ({ DOCKER_CONFIG: join(daemon.netd.dir, 'docker-config') });
  const docker = (...args: string[]): Promise<Run> => run('docker', ['-H', daemon.url, ...args], { env: env(), timeoutMs: TIMEOUT_MS });
  const netctl = (...args: string[]): Promise<Run> => run(process.execPath, [NETCTL, '-H', daemon.url, ...args], { timeoutMs: TIMEOUT_MS });
  /** Both clients, same arguments: the same exit code and output. */
  const same = async (...args: string[]) => {
    const [d, n] = [await docker(...args), await netctl(...args)];
    expect({ args, code: n.code, stdout: n.stdout }).toEqual({ args, code: d.code, stdout: d.stdout });
    return d;
  };
  const volumes = async () => (await docker('volume', 'ls', '-q')).stdout.split('\n').filter(Boolean).sort();

  beforeAll(() => {
    hostDir = mkdtempSync(join(tmpdir(), 'netd-e2e-bind-'));
    writeFileSync(join(hostDir, 'f'), 'from host\n');
  });

  afterAll(() => {
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  it('a named volume written by one client is read by the other', async () => {
    const v = `mv-${tag}`;
    expect(await docker('run', '--rm', '--network', 'none', '-v', `${v}:/data`, 'busybox', 'sh', '-c', 'echo hi > /data/f')).toMatchObject({ code: 0 });
    expect(await netctl('run', '--rm', '--network', 'none', '-v', `${v}:/data:ro`, 'busybox', 'cat', '/data/f')).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect(await netctl('run', '--rm', '--network', 'none', '--mount', `source=${v},target=/m`, 'busybox', 'cat', '/m/f')).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect(await volumes()).toContain(v);
  });

  it('bind mounts, ro, tmpfs and --mount options behave the same from both clients', async () => {
    await same('run', '--rm', '--network', 'none', '-v', `${hostDir}:/h:ro`, 'busybox', 'sh', '-c', 'cat /h/f; touch /h/x 2>/dev/null; echo rc=$?');
    expect(existsSync(join(hostDir, 'x'))).toBe(false);
    const t = await same('run', '--rm', '--network', 'none', '--tmpfs', '/r:size=64k', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700', 'busybox', 'sh', '-c', 'grep -E " /(r|t) " /proc/mounts | sort');
    expect(t.stdout).toMatch(/^tmpfs \/r tmpfs rw,nosuid,nodev,noexec,relatime,size=64k 0 0\ntmpfs \/t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=700 0 0\n$/);
    await same('run', '--rm', '--network', 'none', '--mount', `type=bind,source=${hostDir},target=/b,readonly`, 'busybox', 'cat', '/b/f');
  });

  it('inspect shows the same Mounts for containers made by either client', async () => {
    const v = `iv-${tag}`;
    const mk = async (cli: typeof docker, name: string) => {
      const r = await cli('create', '--name', name, '--network', 'none', '-v', `${v}:/data`, '-v', `${hostDir}:/host:ro`, '--mount', 'type=tmpfs,destination=/t', 'busybox', 'true');
      expect(r).toMatchObject({ code: 0 });
    };
    await mk(docker, `d-${tag}`);
    await mk(netctl, `n-${tag}`);
    const fmt = '{{json .Mounts}} {{json .HostConfig.Binds}} {{json .HostConfig.Mounts}}';
    const [d, n] = [await docker('inspect', '-f', fmt, `d-${tag}`), await docker('inspect', '-f', fmt, `n-${tag}`)];
    expect(n).toEqual(d);
    const [mounts] = d.stdout.split(' ');
    expect(JSON.parse(mounts)).toEqual([
      { Type: 'volume', Name: v, Source: join(daemon.netd.dataRoot, 'volumes', v, '_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'bind', Source: hostDir, Destination: '/host', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
    ]);
    expect((await docker('volume', 'rm', v)).stderr).toMatch(/volume is in use/);
    expect(await docker('rm', `d-${tag}`, `n-${tag}`)).toMatchObject({ code: 0 });
    expect(await docker('volume', 'rm', v)).toMatchObject({ code: 0, stdout: `${v}\n` });
  });

  it('anonymous volumes: --volumes-from shares them, rm -v and --rm remove them, named ones stay', async () => {
    const before = await volumes();
    expect(await docker('run', '--name', `src-${tag}`, '--network', 'none', '-v', '/shared', 'busybox', 'sh', '-c', 'echo data > /shared/f')).toMatchObject({ code: 0 });
    await same('run', '--rm', '--network', 'none', '--volumes-from', `src-${tag}:ro`, 'busybox', 'sh', '-c', 'cat /shared/f; touch /shared/y 2>/dev/null; echo rc=$?');
    const anon = (await volumes()).filter((x) => !before.includes(x));
    expect(anon).toHaveLength(1);
    expect(anon[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(await netctl('rm', '-v', `src-${tag}`)).toMatchObject({ code: 0 });
    expect(await volumes()).toEqual(before);
    expect(await docker('run', '--rm', '--network', 'none', '-v', '/gone', '-v', `kept-${tag}:/k`, 'busybox', 'true')).toMatchObject({ code: 0 });
    expect(await volumes()).toEqual([...before, `kept-${tag}`].sort());
  });

  it('refuses bad specs with the daemon\'s messages through the docker client, making nothing', async () => {
    const before = await volumes();
    const cases: [string[], RegExp][] = [
      [['-v', 'a:b:c:d'], /invalid volume specification: 'a:b:c:d'/],
      [['-v', 'v1:/'], /invalid volume specification: 'v1:\/': invalid mount config for type "volume": invalid specification: destination can't be '\/'/],
      [['--mount', `type=bind,source=${hostDir}/nope,target=/x`], /invalid mount config for type "bind": bind source path does not exist: .*\/nope/],
      [['-v', 'bad/name:/x'], /"bad\/name" includes invalid characters for a local volume name/],
      [['-v', 'v1:/d', '--tmpfs', '/d'], /Duplicate mount point: \/d/],
    ];
    for (const [flags, msg] of cases) {
      const r = await docker('run', '--rm', '--network', 'none', ...flags, 'busybox', 'true');
      expect({ flags, code: r.code, stderr: r.stderr }).toEqual({ flags, code: 125, stderr: expect.stringMatching(msg) });
    }
    expect(await volumes()).toEqual(before);
    expect(existsSync(join(hostDir, 'nope'))).toBe(false);
  });
});
