// Named volumes against a real netd: the docker 28 client and netctl side by side on the same
// daemon, outputs compared with each other and with docker-reference.md's Volumes section.
import { describeAsRoot } from '@app/kernel/testing';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETCTL, useNetdForSuite } from './support/daemon';
import { exec as run, type Run } from './support/exec';

const TIMEOUT_MS = 20_000;

describeAsRoot('volumes: docker client and netctl against netd (e2e)', () => {
  const tag = randomBytes(3).toString('hex');
  const daemon = useNetdForSuite({ netctl: true, bridge: `nv${tag}` });
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ DOCKER_CONFIG: join(daemon.netd.dir, 'docker-config'), ...extra });
  const docker = (...args: string[]): Promise<Run> => run('docker', ['-H', daemon.url, ...args], { env: env(), timeoutMs: TIMEOUT_MS });
  const docker141 = (...args: string[]): Promise<Run> => run('docker', ['-H', daemon.url, ...args], { env: env({ DOCKER_API_VERSION: '1.41' }), timeoutMs: TIMEOUT_MS });
  const netctl = (...args: string[]): Promise<Run> => run(process.execPath, [NETCTL, '-H', daemon.url, ...args], { timeoutMs: TIMEOUT_MS });
  const volumesDir = () => join(daemon.netd.dataRoot, 'volumes');
  /** Both clients, same arguments: the same exit code, stdout and stderr. */
  const same = async (...args: string[]) => {
    const [d, n] = [await docker(...args), await netctl(...args)];
    expect({ args, ...n }).toEqual({ args, ...d });
    return d;
  };

  it('create | ls | inspect | rm: docker and netctl print the same, in the shapes docker-reference documents', async () => {
    const a = `va-${tag}`;
    const b = `vb-${tag}`;
    expect(await docker('volume', 'create', '--label', 'a=b', a)).toEqual({ code: 0, stdout: `${a}\n`, stderr: '' });
    expect(await netctl('volume', 'create', '--label', 'a=b', b)).toEqual({ code: 0, stdout: `${b}\n`, stderr: '' });
    expect(await docker('volume', 'create', a)).toEqual({ code: 0, stdout: `${a}\n`, stderr: '' }); // idempotent

    const ls = await same('volume', 'ls');
    expect(ls.stdout).toBe(`DRIVER    VOLUME NAME\nlocal     ${a}\nlocal     ${b}\n`);
    await same('volume', 'ls', '-q', '-f', `name=${a}`);
    await same('volume', 'ls', '--format', 'json');
    await same('volume', 'ls', '--format', 'table {{.Name}}\t{{.Scope}}\t{{.Labels}}\t{{.Mountpoint}}\t{{.Size}}');
    await same('volume', 'ls', '-f', 'label=a=b', '-f', 'dangling=true', '--format', '{{.Name}} {{.Label "a"}}');

    const inspect = await same('volume', 'inspect', a, b);
    const [va, vb] = JSON.parse(inspect.stdout);
    expect(Object.keys(va)).toEqual(['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    expect(va).toEqual({
      CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), Driver: 'local', Labels: { a: 'b' },
      Mountpoint: join(volumesDir(), a, '_data'), Name: a, Options: null, Scope: 'local',
    });
    expect(vb).toMatchObject({ Name: b, Labels: { a: 'b' }, Mountpoint: join(volumesDir(), b, '_data') });
    expect(statSync(volumesDir()).mode & 0o7777).toBe(0o701);
    expect(statSync(join(volumesDir(), a)).mode & 0o7777).toBe(0o701);
    const data = statSync(join(volumesDir(), a, '_data'));
    expect({ mode: data.mode & 0o7777, uid: data.uid, gid: data.gid }).toEqual({ mode: 0o755, uid: 0, gid: 0 });
    await same('volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Mountpoint}} {{.Labels}}', a);
    await same('volume', 'inspect', a, `missing-${tag}`);

    await same('volume', 'rm', `missing-${tag}`);
    expect(await docker('volume', 'rm', a)).toEqual({ code: 0, stdout: `${a}\n`, stderr: '' });
    expect(await netctl('volume', 'rm', b)).toEqual({ code: 0, stdout: `${b}\n`, stderr: '' });
    expect(existsSync(join(volumesDir(), a))).toBe(false);
    await same('volume', 'rm', '-f', `missing-${tag}`);
  });

  it("prints the daemon's refusals the same way: bad names, other drivers, mount options", async () => {
    const n = `vr-${tag}`;
    for (const args of [['../etc'], ['bad/name'], ['-d', 'nfs', n], ['-o', 'type=none', '-o', 'o=bind', '-o', 'device=/etc', n], ['-o', 'colour=blue', n]]) {
      const r = await same('volume', 'create', ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error response from daemon: create /);
    }
    expect((await docker('volume', 'create', '../etc')).stderr).toBe(
      'Error response from daemon: create ../etc: "../etc" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path\n',
    );
    expect((await docker('volume', 'create', '-d', 'nfs', n)).stderr).toBe(`Error response from daemon: create ${n}: error looking up volume plugin nfs: plugin "nfs" not found\n`);
    expect(existsSync(join(volumesDir(), n))).toBe(false);
    expect(existsSync(join(daemon.netd.dataRoot, 'etc'))).toBe(false);
  });

  it('refuses a symlink pre-planted under the volumes dir and leaves its target alone', async () => {
    const outside = join(daemon.netd.dir, `outside-${tag}`);
    mkdirSync(outside);
    mkdirSync(volumesDir(), { recursive: true });
    symlinkSync(outside, join(volumesDir(), `planted-${tag}`));
    const r = await docker('volume', 'create', `planted-${tag}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a directory');
    expect(readdirSync(outside)).toEqual([]);
    expect(lstatSync(join(volumesDir(), `planted-${tag}`)).isSymbolicLink()).toBe(true);
    rmSync(join(volumesDir(), `planted-${tag}`));
  });

  it('prune: anonymous only at API 1.47 unless -a, everything unused at API 1.41; the same report from both clients', async () => {
    const mk = async (name: string, ...labels: string[]) => expect((await docker('volume', 'create', ...labels.flatMap((l) => ['--label', l]), name)).code).toBe(0);
    const named = `vp-named-${tag}`;
    const anon = `vp-anon-${tag}`;
    const fill = (name: string) => writeFileSync(join(volumesDir(), name, '_data', 'f'), Buffer.alloc(4096));
    for (const client of ['docker', 'netctl'] as const) {
      await mk(named, `t=${tag}`);
      await mk(anon, `t=${tag}`, 'com.docker.volume.anonymous=');
      fill(named);
      const prune = client === 'docker' ? docker : netctl;
      expect(await prune('volume', 'prune', '-f', '--filter', `label=t=${tag}`)).toEqual({ code: 0, stdout: `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 0B\n`, stderr: '' });
      expect(await prune('volume', 'prune', '-f', '-a', '--filter', `label=t=${tag}`)).toEqual({ code: 0, stdout: `Deleted Volumes:\n${named}\n\nTotal reclaimed space: 4.096kB\n`, stderr: '' });
      expect(await prune('volume', 'prune', '-f', '-a', '--filter', `label=t=${tag}`)).toEqual({ code: 0, stdout: 'Total reclaimed space: 0B\n', stderr: '' });
    }
    await mk(named, `t=${tag}`);
    await mk(anon, `t=${tag}`, 'com.docker.volume.anonymous=');
    const old = await docker141('volume', 'prune', '-f', '--filter', `label=t=${tag}`);
    expect(old).toEqual({ code: 0, stdout: `Deleted Volumes:\n${anon}\n${named}\n\nTotal reclaimed space: 0B\n`, stderr: '' });
    const bad = await docker141('volume', 'prune', '-f', '--filter', 'all=true');
    expect(bad).toMatchObject({ code: 1, stderr: "Error response from daemon: Invalid filter 'all'\n" });
  });

  it('volume events, and volumes that outlive a daemon restart', async () => {
    const v = `vk-${tag}`;
    const since = Math.floor(Date.now() / 1000) - 1;
    expect((await docker('volume', 'create', '--label', 'keep=1', v)).code).toBe(0);
    writeFileSync(join(volumesDir(), v, '_data', 'kept'), 'data');
    const before = (await docker('volume', 'inspect', v)).stdout;
    await daemon.netd.stop();
    await daemon.restart();
    expect(await docker('volume', 'inspect', v)).toEqual({ code: 0, stdout: before, stderr: '' });
    expect(readFileSync(join(volumesDir(), v, '_data', 'kept'), 'utf8')).toBe('data');
    expect((await docker('volume', 'rm', v)).code).toBe(0);
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = await docker('events', '--since', String(since), '--until', String(until), '--filter', 'type=volume', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.driver}}');
    // the history is in memory: the restart dropped the create
    expect(ev).toMatchObject({ code: 0, stdout: `volume destroy ${v} local\n` });
  });
});
