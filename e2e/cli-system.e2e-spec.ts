// netctl's events, system df, prune and info, built, against a real netd on a namespace this test
// creates, each compared with what the docker client prints against the same daemon.
import { describeAsRoot } from '@app/kernel/testing';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETCTL, useNetdForSuite } from './support/daemon';
import { exec as run, type Run } from './support/exec';

const TIMEOUT_MS = 30_000;

const exec = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => run(cmd, args, { env: { TZ: 'UTC', ...env }, timeoutMs: TIMEOUT_MS });

describeAsRoot('netctl events, system df, prune and info against netd (e2e)', () => {
  const daemon = useNetdForSuite({ netctl: true, bridge: 'nsy0' });
  const netctl = (...args: string[]) => exec(process.execPath, [NETCTL, '-H', daemon.url, ...args]);
  const docker = (...args: string[]) => exec('docker', ['-H', daemon.url, ...args], { DOCKER_CONFIG: join(daemon.netd.dir, 'docker-config') });
  const tag = randomBytes(3).toString('hex');
  const net = `sys-${tag}`;
  let t0 = '';

  beforeAll(async () => {
    t0 = String(Math.floor(Date.now() / 1000) - 1);
    expect((await netctl('network', 'create', '--subnet', `10.${randomInt(200, 250)}.${randomInt(0, 255)}.0/24`, net)).code).toBe(0);
    expect((await netctl('run', '-d', '--name', `web-${tag}`, '--label', `tier=${tag}`, '--network', net, 'busybox', 'sleep', '600')).code).toBe(0);
    expect((await netctl('run', '--name', `done-${tag}`, 'busybox', 'true')).code).toBe(0);
    // `--until 0s` is sent in whole seconds (docker truncates it too): let the events' second pass
    await new Promise((r) => setTimeout(r, 1100));
  }, 120_000);

  it('events: the container start is there, filtered by type, event, container and label, as docker prints it', async () => {
    const fmt = '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}';
    const window = ['--since', t0, '--until', '0s'];
    const all = await netctl('events', ...window, '--format', fmt);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`network create ${net}\n`);
    expect(all.stdout).toContain(`container start web-${tag}\n`);
    const started = await netctl('events', ...window, '--filter', 'type=container', '--filter', 'event=start', '--format', fmt);
    expect(started.stdout.split('\n').filter(Boolean).sort()).toEqual([`container start done-${tag}`, `container start web-${tag}`]);
    expect((await netctl('events', ...window, '-f', `label=tier=${tag}`, '-f', 'event=start', '--format', fmt)).stdout).toBe(`container start web-${tag}\n`);
    expect((await netctl('events', ...window, '-f', `container=done-${tag}`, '-f', 'event=die', '--format', '{{json .}}')).stdout).toMatch(/^\{"Type":"container","Action":"die","Actor":\{"ID":"[0-9a-f]{64}","Attributes":\{.*"exitCode":"0".*\}\}.*\}\n$/);
    // the same events, the same lines, in docker's default layout and in templates
    for (const args of [[...window, '-f', 'type=container'], [...window, '--format', fmt], [...window, '-f', `label=tier=${tag}`, '--format', '{{.Type}} {{.Action}}']]) {
      const ours = await netctl('events', ...args);
      const theirs = await docker('events', ...args);
      expect(theirs).toMatchObject({ code: 0, stderr: '' });
      expect(ours).toEqual(theirs);
    }
  });

  it('events: a bad --since is refused before the daemon is asked', async () => {
    const r = await netctl('events', '--since', 'someday');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('failed to parse value as time or duration: "someday"');
  });

  it('system df prints what docker prints against the same daemon, and agrees with the lists', async () => {
    for (const args of [['system', 'df'], ['system', 'df', '--format', '{{json .}}'], ['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']]) {
      const [ours, theirs] = await Promise.all([netctl(...args), docker(...args)]);
      expect(theirs).toMatchObject({ code: 0, stderr: '' });
      expect(ours).toEqual(theirs);
    }
    const counts = Object.fromEntries((await netctl('system', 'df', '--format', '{{.Type}}={{.TotalCount}}={{.Active}}')).stdout.trim().split('\n').map((l) => [l.split('=')[0], l.split('=').slice(1)]));
    const lines = async (...args: string[]) => (await netctl(...args)).stdout.split('\n').filter(Boolean).length;
    expect(counts.Images[0]).toBe(String(await lines('images', '-q', '--no-trunc')));
    expect(counts.Containers).toEqual([String(await lines('ps', '-aq')), String(await lines('ps', '-q'))]);
    expect(counts['Local Volumes'][0]).toBe(String(await lines('volume', 'ls', '-q')));
  });

  it('info has docker\'s layout for the fields netd reports', async () => {
    const [ours, theirs] = await Promise.all([netctl('info'), docker('info')]);
    expect(theirs.code).toBe(0);
    const server = (text: string) => text.slice(text.indexOf('Server:'));
    const keys = (text: string) => server(text).split('\n').filter((l) => /^ {1,2}[A-Z][^:]*:/.test(l)).map((l) => l.split(':')[0]);
    // every line netctl prints, docker prints too (Networks is netd's own), in the same order
    const theirKeys = keys(theirs.stdout);
    const ourKeys = keys(ours.stdout).filter((k) => k !== ' Networks');
    expect(ourKeys.filter((k) => theirKeys.includes(k))).toEqual(ourKeys);
    expect(ourKeys.map((k) => theirKeys.indexOf(k))).toEqual([...ourKeys.map((k) => theirKeys.indexOf(k))].sort((a, b) => a - b));
    for (const line of server(ours.stdout).split('\n').filter((l) => /^ (Containers|Images|Server Version|Kernel Version|Name|ID|Docker Root Dir|Live Restore Enabled):/.test(l))) {
      expect(theirs.stdout).toContain(`${line}\n`);
    }
  });

  it('image prune -a removes the unused image docker would, and reports it as docker does', async () => {
    const ctx = mkdtempSync(join(tmpdir(), 'netd-t-ctx-'));
    try {
      writeFileSync(join(ctx, 'Dockerfile'), `FROM busybox\nLABEL e2e.prune=${tag}\n`);
      expect((await netctl('build', '-q', '-t', `prune-${tag}:1`, ctx)).code).toBe(0);
      const id = (await netctl('images', '-q', '--no-trunc', `prune-${tag}`)).stdout.trim();
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      // dangling only: the tagged image stays
      expect(await netctl('image', 'prune', '-f')).toEqual({ code: 0, stdout: 'Total reclaimed space: 0B\n', stderr: '' });
      const r = await netctl('image', 'prune', '-a', '-f', '--filter', `label=e2e.prune=${tag}`);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^Deleted Images:\\nuntagged: prune-${tag}:1\\ndeleted: ${id}\\n(deleted: sha256:[0-9a-f]{64}\\n)*\\nTotal reclaimed space: \\S+\\n$`));
      expect((await netctl('images', '-q', `prune-${tag}`)).stdout).toBe('');
      // busybox is used by a container: even -a keeps it
      expect((await netctl('images', '-q', 'busybox')).stdout).not.toBe('');
      expect((await netctl('image', 'prune', '-a', '-f')).code).toBe(0);
      expect((await netctl('images', '-q', 'busybox')).stdout).not.toBe('');
      // docker's client sends the same request and reads the same answer
      expect((await netctl('build', '-q', '-t', `prune-${tag}:2`, ctx)).code).toBe(0);
      const theirs = await docker('image', 'prune', '-a', '-f', '--filter', `label=e2e.prune=${tag}`);
      expect(theirs).toMatchObject({ code: 0, stderr: '' });
      expect(theirs.stdout).toContain(`untagged: prune-${tag}:2\n`);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }, 60_000);

  it('container prune and system prune: what goes agrees with the lists; netctl and docker read the daemon alike', async () => {
    const supported = (await daemon.call('POST', '/containers/prune?filters=' + encodeURIComponent(JSON.stringify({ label: ['nothing-has-this'] })))).status !== 501;
    const done = (await netctl('ps', '-aq', '--no-trunc', '-f', `name=done-${tag}`)).stdout.trim();
    if (!supported) {
      // the daemon does not serve POST /containers/prune yet: both clients report its 501 the same way
      const [ours, theirs] = await Promise.all([netctl('container', 'prune', '-f'), docker('container', 'prune', '-f')]);
      expect(ours.code).toBe(1);
      expect(ours.stderr).toBe(theirs.stderr);
      expect(ours.stderr).toContain('POST /containers/prune is not implemented by netd');
      return;
    }
    const r = await netctl('container', 'prune', '-f');
    expect(r).toEqual({ code: 0, stdout: `Deleted Containers:\n${done}\n\nTotal reclaimed space: ${r.stdout.split('space: ')[1]?.trim()}\n`, stderr: '' });
    expect((await netctl('ps', '-aq', '--no-trunc')).stdout).not.toContain(done);
    expect((await netctl('ps', '-q', '-f', `name=web-${tag}`)).stdout).not.toBe('');
    expect((await netctl('network', 'create', `unused-${tag}`)).code).toBe(0);
    const sys = await netctl('system', 'prune', '-f');
    expect(sys.code).toBe(0);
    expect(sys.stdout).toContain(`Deleted Networks:\nunused-${tag}\n`);
    expect((await netctl('network', 'ls', '-q', '-f', `name=${net}`)).stdout).not.toBe('');
  });
});
