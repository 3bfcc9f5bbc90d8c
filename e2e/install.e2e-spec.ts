// The package as users get it: `npm pack` of a clone of this repository (its prepack builds the
// daemon and netctl), `npm install -g` of the tarball into a temporary prefix (dependencies from
// the npm registry or its cache; better-sqlite3, koffi and netlink build or fetch their native
// parts as in `npm ci`), then the installed commands: `netd --version`, `netctl version`, and the
// installed netd serving its API while it programs a namespace this test creates.
import { createTempNetns, describeAsRoot, type TempNetns } from '@app/kernel/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { eventually } from '@app/common/testing';
import { api, removeDir } from '../apps/netd/src/testing/netd-process';
import { exec } from './support/exec';

const ROOT = resolve(__dirname, '..');
/** A clean build of everything, and a global install that may compile better-sqlite3 (~3 min on 2 busy cores). */
const PACK_MS = 180_000;
const INSTALL_MS = 420_000;

describeAsRoot('npm pack and npm install -g (e2e)', () => {
  let dir = '';
  let ns: TempNetns | undefined;
  let netd: ChildProcess | undefined;
  let commit = '';
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const prefix = () => join(dir, 'prefix');
  // node on PATH for the commands' `#!/usr/bin/env node`
  const env = () => ({ PATH: `${join(prefix(), 'bin')}:${dirname(process.execPath)}:${process.env.PATH}` });
  const ok = (r: { code: number | null; stdout: string; stderr: string }, what: string) => {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    return r.stdout;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netd-install-'));
    // a clone at HEAD (committed work only): the build inside it must not touch this checkout's
    // dist, which other suites run
    const src = join(dir, 'src');
    ok(await exec('git', ['clone', '-q', '--no-hardlinks', ROOT, src], { timeoutMs: 60_000 }), 'git clone');
    commit = ok(await exec('git', ['-C', src, 'rev-parse', '--short=12', 'HEAD']), 'git rev-parse').trim();
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    ok(await exec('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { timeoutMs: PACK_MS, env: env(), cwd: src }), 'npm pack');
  }, PACK_MS + 60_000);

  afterAll(async () => {
    if (netd && netd.exitCode === null && netd.signalCode === null) netd.kill('SIGKILL');
    await ns?.dispose();
    if (dir) removeDir(dir);
  }, 60_000);

  it('ships a built daemon and netctl, and nothing of the sources', async () => {
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBe(`netd-${version}.tgz`);
    const files = ok(await exec('tar', ['tzf', join(dir, tarball!)]), 'tar').split('\n').filter(Boolean);
    expect(files).toEqual(expect.arrayContaining([
      'package/package.json', 'package/dist/apps/netd/src/main.js', 'package/dist/cli/netctl.js', 'package/dist/build-info.json',
    ]));
    expect(files.filter((f) => f.endsWith('.ts') || f.endsWith('.map') || f.includes('.spec.') || f.includes('/testing/'))).toEqual([]);
  });

  it('installs globally with the netd and netctl commands, which report the version and the commit', async () => {
    const tarball = join(dir, `netd-${version}.tgz`);
    ok(await exec('npm', [
      'install', '-g', '--prefix', prefix(), tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error',
      '--allow-scripts=better-sqlite3,koffi,netlink',
    // build_from_source: better-sqlite3's prebuild-install would otherwise try GitHub for a binary
    // (traffic a test must not make; this machine refuses it anyway) before node-gyp builds it
    ], { timeoutMs: INSTALL_MS, env: { ...env(), npm_config_build_from_source: 'true' } }), 'npm install -g');
    expect(ok(await exec(join(prefix(), 'bin', 'netd'), ['--version'], { env: env() }), 'netd --version')).toBe(`netd version ${version}, build ${commit}\n`);
    const client = await exec(join(prefix(), 'bin', 'netctl'), ['-H', `unix://${join(dir, 'nobody.sock')}`, 'version'], { env: env() });
    expect(client.stdout).toMatch(new RegExp(`^Client:\\n Version: +${version.replace(/\./g, '\\.')}\\n[\\s\\S]* Git commit: +${commit}\\n`));
  }, INSTALL_MS + 30_000);

  it('the installed netd starts, answers _ping and /version on its socket, and stops on SIGTERM', async () => {
    if (!existsSync(join(prefix(), 'bin', 'netd'))) throw new Error('not installed (the previous test failed)');
    ns = await createTempNetns();
    const sock = join(dir, 'netd.sock');
    writeFileSync(join(dir, 'daemon.json'), '{}\n');
    netd = spawn(join(prefix(), 'bin', 'netd'), [
      '-H', `unix://${sock}`, '--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'),
      '--host-netns', ns.ref.path, '--no-seed-busybox',
    ], { stdio: ['ignore', 'ignore', 'pipe'], env: env() });
    let stderr = '';
    netd.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => netd!.once('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (netd.exitCode !== null) throw new Error(`the installed netd exited ${netd.exitCode}:\n${stderr}`);
      if (existsSync(sock) && (await api(sock, 'GET', '/_ping').catch(() => undefined))?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the installed netd did not come up:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await api(sock, 'GET', '/version')).body).toMatchObject({ Version: version, GitCommit: commit });
    const both = ok(await exec(join(prefix(), 'bin', 'netctl'), ['-H', `unix://${sock}`, 'version'], { env: env() }), 'netctl version');
    expect(both).toContain(`\nServer: netd\n Engine:\n  Version:          ${version}\n`);
    expect(both).toContain(`\n  Git commit:       ${commit}\n`);
    netd.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  // The path for an operator, on the installed package: socket activation, a container,
  // a reload by SIGHUP, the metrics, the events, and df/prune against the lists.
  it('the installed netd under systemd-socket-activate: netctl run, SIGHUP reload, /metrics, events, system df and prune', async () => {
    if (!existsSync(join(prefix(), 'bin', 'netd'))) throw new Error('not installed (the previous test failed)');
    const hostNs = await createTempNetns();
    const sock = join(dir, 'activated.sock');
    const conf = join(dir, 'activated.json');
    const port = 20000 + (process.pid % 20000);
    writeFileSync(conf, JSON.stringify({ 'log-level': 'info' }));
    const daemon = spawn('/usr/bin/systemd-socket-activate', [
      '-l', sock, join(prefix(), 'bin', 'netd'), '-H', 'fd://', '--config-file', conf, '--data-root', join(dir, 'data2'), '--exec-root', join(dir, 'run2'),
      '--host-netns', hostNs.ref.path, '--netns-dir', join(dir, 'netns2'), '--bridge', 'netdi0', '--metrics-addr', `127.0.0.1:${port}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'], env: env() });
    let stderr = '';
    daemon.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const gone = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
    const netctl = async (...args: string[]) => ok(await exec(join(prefix(), 'bin', 'netctl'), ['-H', `unix://${sock}`, ...args], { env: env(), timeoutMs: 60_000 }), `netctl ${args.join(' ')}`);
    try {
      await eventually('the activated socket', () => existsSync(sock), 30_000);
      // the first connection starts the daemon (systemd-socket-activate execs it in its own pid)
      await eventually('netd answering on the activated socket', async () => (await api(sock, 'GET', '/_ping')).status === 200, 60_000);
      const since = Math.floor(Date.now() / 1000) - 1;
      const id = (await netctl('run', '-d', '--name', 'op', 'busybox', 'sleep', '600')).trim();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      const pidOf = async () => (await api(sock, 'GET', `/containers/${id}/json`)).body.State.Pid as number;
      const ctrPid = await pidOf();
      expect(ctrPid).toBeGreaterThan(0);

      writeFileSync(conf, JSON.stringify({ 'log-level': 'debug', dns: ['192.0.2.53'] }));
      daemon.kill('SIGHUP');
      const reload = await eventually('the reload line', () => stderr.split('\n').find((l) => l.includes('configuration reloaded')), 15_000);
      expect(JSON.parse(reload)).toMatchObject({ applied: expect.arrayContaining(['log-level', 'dns']) });
      // debug is on: the next request leaves an access line; the daemon and the container are as they were
      expect((await api(sock, 'GET', '/_ping')).status).toBe(200);
      await eventually('a debug access line', () => stderr.split('\n').some((l) => l.includes('"path":"/_ping"')), 10_000);
      expect(daemon.exitCode).toBeNull();
      expect(await pidOf()).toBe(ctrPid);

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const sample = (name: string) => metrics.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
      expect(sample('netd_containers{state="running"}')).toBe('netd_containers{state="running"} 1');
      expect(metrics).toMatch(/^netd_api_requests_total\{[^}]*route="[^"]*\/start"[^}]*\} [1-9]/m);

      const events = await netctl('events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=container', '--format', '{{json .}}');
      const seen = events.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Action: string; Actor: { ID: string } });
      expect(seen).toContainEqual(expect.objectContaining({ Action: 'start', Actor: expect.objectContaining({ ID: id }) }));

      const row = (out: string, type: string) => out.split('\n').find((l) => l.startsWith(type))!.slice(type.length).trim().split(/\s+/);
      const df = await netctl('system', 'df');
      const images = (await netctl('images', '-q')).split('\n').filter(Boolean).length;
      expect(row(df, 'Images').slice(0, 2)).toEqual([String(images), '1']);
      expect(row(df, 'Containers').slice(0, 2)).toEqual(['1', '1']);
      await netctl('stop', '-t', '1', 'op');
      expect(row(await netctl('system', 'df'), 'Containers').slice(0, 2)).toEqual(['1', '0']);
      expect(await netctl('container', 'prune', '-f')).toContain(id);
      expect((await netctl('ps', '-aq')).trim()).toBe('');
      expect(row(await netctl('system', 'df'), 'Containers').slice(0, 2)).toEqual(['0', '0']);
      daemon.kill('SIGTERM');
      expect(await gone).toBe(0);
    } catch (e) {
      process.stderr.write(`netd logs:\n${stderr.slice(-4000)}\n`);
      throw e;
    } finally {
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
      await gone;
      await hostNs.dispose();
    }
  }, 180_000);
});
