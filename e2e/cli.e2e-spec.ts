// netctl, built, against a real netd running on a namespace this test creates; side by side with
// the docker client where one is installed. Needs root (describeAsRoot fails under CI without it).
import { describeAsRoot } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveEndpoint } from '../apps/cli/src/client/host';
import { NetdClient } from '../apps/cli/src/client/netd-client';
import { NETCTL, ROOT, useNetdForSuite } from './support/daemon';
import { exec as run, type Run } from './support/exec';
import { describeNetdApiContract } from '../apps/cli/src/testing/netd-api.contract';

const TIMEOUT_MS = 20_000;
const hasDocker = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0;

const exec = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => run(cmd, args, { env, timeoutMs: TIMEOUT_MS });

describeAsRoot('netctl against netd (e2e)', () => {
  const daemon = useNetdForSuite({ netctl: true });
  const netctl = (...args: string[]) => exec(process.execPath, [NETCTL, '-H', daemon.url, ...args]);
  const docker = (...args: string[]) => exec('docker', ['-H', daemon.url, ...args], { DOCKER_CONFIG: join(daemon.netd.dir, 'docker-config') });
  const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`;
  const name = `netctl-e2e-${randomBytes(3).toString('hex')}`;

  it('creates, lists, inspects and removes a network', async () => {
    const created = await netctl('network', 'create', '--subnet', `${subnet}.0/24`, '--gateway', `${subnet}.1`, '--label', 'e2e=1', name);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ls = await netctl('network', 'ls');
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toBe('NETWORK ID     NAME' + ' '.repeat(Math.max(10, name.length + 3) - 4) + 'DRIVER    SCOPE');
    expect(ls.stdout).toContain(`${id.slice(0, 12)}   ${name}`);

    const inspect = await netctl('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels}}', id.slice(0, 12));
    expect(inspect).toEqual({ code: 0, stdout: `${subnet}.0/24 ${subnet}.1 map[e2e:1]\n`, stderr: '' });

    expect(await netctl('network', 'rm', name, 'missing-net')).toEqual({ code: 1, stdout: `${name}\n`, stderr: 'Error: No such network: missing-net\n' });
    expect((await netctl('network', 'ls', '-q', '-f', `name=${name}`)).stdout).toBe('');
  });

  it("prints daemon errors in docker's words", async () => {
    expect(await netctl('network', 'rm', 'bridge')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^Error response from daemon: .*bridge.*\n$/) });
    expect(await netctl('network', 'create', '-d', 'nosuchdriver', `${name}-x`)).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: plugin "nosuchdriver" not found\n' });
  });

  it('runs from the build-time V8 code cache, and the same without it when V8 rejects it', async () => {
    const args = [NETCTL, '-H', daemon.url, 'network', 'ls', '--no-trunc'];
    const env = { NETCTL_CODE_CACHE: 'report' };
    const cached = await exec(process.execPath, args, env);
    expect(cached.code).toBe(0);
    expect(cached.stdout).toContain('NETWORK ID');
    const used = (r: Run) => r.stderr.split('\n').filter(Boolean).sort();
    expect(used(cached)).toEqual([`code cache accepted: ${join(ROOT, 'dist/cli/handlers/network-ls.handler.js')}`, `code cache accepted: ${join(ROOT, 'dist/cli/netctl-main.js')}`]);
    // another heap limit changes V8's flag hash: every cache is rejected and the bundles are parsed
    const rejected = await exec(process.execPath, ['--max-old-space-size=96', ...args], env);
    expect(used(rejected)).toEqual(used(cached).map((l) => l.replace('accepted', 'rejected')));
    expect({ code: rejected.code, stdout: rejected.stdout }).toEqual({ code: 0, stdout: cached.stdout });
  });

  it('loads node:https on demand under the launcher (a TLS host that does not answer)', async () => {
    const r = await exec(process.execPath, [NETCTL, '--tlsverify', '-H', 'tcp://127.0.0.1:1', 'network', 'ls']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Cannot connect to the netd daemon at tcp://127.0.0.1:1. Is the daemon running?\n' });
  });

  (hasDocker ? describe : describe.skip)('side by side with the docker client', () => {
    beforeAll(async () => {
      expect((await netctl('network', 'create', '--subnet', `${subnet}.0/25`, '--label', 'a=<b>', `${name}-d`)).code).toBe(0);
      expect((await netctl('network', 'create', `${name}-d2`)).code).toBe(0);
    });

    afterAll(async () => {
      await netctl('network', 'rm', '-f', `${name}-d`, `${name}-d2`);
    });

    it.each([[['network', 'ls']], [['network', 'ls', '--no-trunc']], [['network', 'ls', '-q']], [['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Internal}}']]])(
      '%j prints the same rows',
      async (args) => {
        const [ours, theirs] = await Promise.all([netctl(...args), docker(...args)]);
        expect(theirs.stderr).toBe('');
        expect(ours).toEqual(theirs);
      },
    );

    it('network inspect prints equal JSON', async () => {
      for (const target of [`${name}-d`, 'bridge', 'host', 'none']) {
        const [ours, theirs] = await Promise.all([netctl('network', 'inspect', target), docker('network', 'inspect', target)]);
        expect(theirs.code).toBe(0);
        expect(ours.stdout).toBe(theirs.stdout);
        expect(JSON.parse(ours.stdout)).toEqual(JSON.parse(theirs.stdout));
      }
    });
  });

  // The comparisons above are the point of this file: without the docker client they cannot run, and that is a failure.
  it('has the docker client to compare with', () => {
    expect({ dockerClient: hasDocker }).toEqual({ dockerClient: true });
  });

  describeNetdApiContract('NetdClient against netd', () => new NetdClient(resolveEndpoint({ host: daemon.url }, {})), `10.${randomInt(151, 199)}`);
});

afterAll(() => {
  if (!existsSync(NETCTL)) process.stderr.write('cli e2e: dist/cli/netctl.js was not built\n');
});
