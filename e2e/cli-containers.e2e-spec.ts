// netctl's image and container verbs, built, against a real netd on a namespace this test makes;
// side by side with the docker client on the same daemon. Needs root, runc and conmon.
import { describeAsRoot } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveEndpoint } from '../apps/cli/src/client/host';
import { NetdClient } from '../apps/cli/src/client/netd-client';
import { NETCTL, ROOT, useNetdForSuite } from './support/daemon';
import { exec as run, type Run } from './support/exec';
import { describeEngineApiContract } from '../apps/cli/src/testing/engine-api.contract';

const TIMEOUT_MS = 60_000;
const hasDocker = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0;

const exec = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => run(cmd, args, { env, timeoutMs: TIMEOUT_MS });

/** Table rows split into cells; `skip` drops columns that tick with the clock (CREATED, STATUS). */
const rows = (text: string, skip: number[] = []) => text.trimEnd().split('\n').map((l) => l.split(/ {3,}/).filter((_, i) => !skip.includes(i)));

describeAsRoot('netctl containers and images against netd (e2e)', () => {
  const daemon = useNetdForSuite({ netctl: true, logTail: 6000 });
  const tag = randomBytes(3).toString('hex');
  const name = `netctl-a-${tag}`;
  const netctl = (...args: string[]) => exec(process.execPath, [NETCTL, '-H', daemon.url, ...args], { DOCKER_CONFIG: join(daemon.netd.dir, 'netctl-config') });
  const docker = (...args: string[]) => exec('docker', ['-H', daemon.url, ...args], { DOCKER_CONFIG: join(daemon.netd.dir, 'docker-config') });

  beforeAll(async () => {
    // the README's way to a busybox image without a registry: the no-RUN Dockerfile on a prepared context
    const ctx = join(daemon.netd.dir, 'busybox-ctx');
    mkdirSync(ctx);
    const prepared = spawnSync('sh', [join(ROOT, 'examples/busybox/prepare.sh'), ctx], { stdio: 'pipe', timeout: 30_000 });
    if (prepared.status !== 0) throw new Error(`prepare.sh failed: ${prepared.stderr}`);
    copyFileSync(join(ROOT, 'examples/busybox/Dockerfile.norun'), join(ctx, 'Dockerfile'));
    const build = await netctl('build', '-q', '-t', 'busybox', ctx);
    if (build.code !== 0) throw new Error(`netctl build failed: ${build.stderr}`);
  }, 180_000);

  it('run --rm busybox echo hi prints hi and exits 0; the exit code is the container\'s', async () => {
    expect(await netctl('run', '--rm', 'busybox', 'echo', 'hi')).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    expect((await netctl('run', '--rm', 'busybox', 'sh', '-c', 'echo oops >&2; exit 3'))).toEqual({ code: 3, stdout: '', stderr: 'oops\n' });
    expect((await netctl('ps', '-aq', '-f', 'ancestor=busybox')).stdout).toBe('');
  });

  it('fails before start with 125 and 127 as docker does', async () => {
    const missing = await netctl('run', '--rm', '--pull', 'never', 'nosuchimage', 'true');
    expect(missing).toMatchObject({ code: 125, stderr: expect.stringMatching(/^netctl: Error response from daemon: No such image: nosuchimage(:latest)?\n/) });
    const notFound = await netctl('run', '--rm', 'busybox', 'nosuchcommand');
    expect(notFound.code).toBe(127);
  });

  it('run -d, ps (same rows as docker ps), exec, logs, inspect, rm -f', async () => {
    const started = await netctl('run', '-d', '--name', name, 'busybox', 'sh', '-c', 'echo ready; sleep 60');
    expect(started).toMatchObject({ code: 0, stderr: '' });
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ps = await netctl('ps', '-f', `name=${name}`);
    expect(ps.code).toBe(0);
    // COMMAND is the daemon's string (moby quotes arguments with spaces), cut to 20 and quoted
    expect(rows(ps.stdout, [3, 4])).toEqual([
      ['CONTAINER ID', 'IMAGE', 'COMMAND', 'PORTS', 'NAMES'],
      [id.slice(0, 12), 'busybox', expect.stringMatching(/^"sh -c .{13}…"$/), name],
    ]);
    if (hasDocker) {
      const theirs = await docker('ps', '-f', `name=${name}`);
      expect(theirs.stderr).toBe('');
      expect(rows(ps.stdout, [3, 4])).toEqual(rows(theirs.stdout, [3, 4]));
      // the same padding, except where CREATED and STATUS widen with time-dependent texts
      // ("Less than a second ago" vs "2 seconds ago" when the two clients run a second apart)
      const header = (t: string) => {
        const h = t.split('\n')[0];
        return [h.slice(0, h.indexOf('CREATED')), h.slice(h.indexOf('PORTS'))];
      };
      expect(header(ps.stdout)).toEqual(header(theirs.stdout));
    }

    expect(await netctl('exec', name, 'echo', 'x')).toEqual({ code: 0, stdout: 'x\n', stderr: '' });
    expect((await netctl('exec', name, 'sh', '-c', 'exit 5')).code).toBe(5);
    expect(await netctl('logs', name)).toEqual({ code: 0, stdout: 'ready\n', stderr: '' });
    expect(await netctl('inspect', '-f', '{{.State.Status}} {{.Name}}', name)).toEqual({ code: 0, stdout: `running /${name}\n`, stderr: '' });
    expect(await netctl('rm', '-f', name)).toEqual({ code: 0, stdout: `${name}\n`, stderr: '' });
    expect((await netctl('ps', '-aq', '-f', `name=${name}`)).stdout).toBe('');
  });

  it('images prints the same rows as docker images', async () => {
    const ours = await netctl('images');
    expect(ours.code).toBe(0);
    expect(rows(ours.stdout)[0]).toEqual(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
    expect(rows(ours.stdout).map((r) => r.slice(0, 2))).toContainEqual(['busybox', 'latest']);
    if (hasDocker) {
      const theirs = await docker('images');
      expect(theirs.stderr).toBe('');
      expect(rows(ours.stdout, [3])).toEqual(rows(theirs.stdout, [3]));
    }
  });

  // The comparisons above are the point of this file: without the docker client they cannot run, and that is a failure.
  it('has the docker client to compare with', () => {
    expect({ dockerClient: hasDocker }).toEqual({ dockerClient: true });
  });

  describeEngineApiContract('NetdClient against netd', () => new NetdClient(resolveEndpoint({ host: daemon.url }, {})));
});
