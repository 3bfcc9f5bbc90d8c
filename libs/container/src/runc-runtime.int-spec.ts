import { generateId } from '@app/common';
import { RuncCli, isMountPoint, isProcessAlive, startThroughExecFifo } from '@app/kernel/runc';
import { createTempNetns, describeAsRoot, run, tempNetnsName, type TempNetns } from '@app/kernel/testing';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerManager } from './container-manager';
import type { ContainerSpec } from './container-record';
import { detectCgroupMode } from './cgroups';
import { containerPaths } from './layout';
import { RuncRuntime } from './runc-runtime';
import { MemoryContainerStore, describeRuntimeContract, makeBusyboxRootfs, writeTestBundle } from './testing';

const BASE = join('/tmp', tempNetnsName('netd-t-ctr'));
const CGROUP_PARENT = `/${tempNetnsName('netd-t')}`;
const LAYER = join(BASE, 'layer');
const RUNC_ROOT = join(BASE, 'runc');
const STATE = join(BASE, 'containers');
const SOCKETS = join(BASE, 's');

const runtimeFor = () => new RuncRuntime({ stateDir: STATE, runcRoot: RUNC_ROOT, socketDir: SOCKETS, pollMs: 50 });

/** Remove whatever the suite made: runc containers under our own root, mounts, cgroups, files. */
async function cleanupAll(): Promise<void> {
  const runc = new RuncCli({ root: RUNC_ROOT });
  if (existsSync(RUNC_ROOT)) for (const c of await runc.list().catch(() => [])) await runc.delete(c.id, true).catch(() => undefined);
  if (existsSync(STATE)) {
    for (const id of readdirSync(STATE)) {
      const p = containerPaths(STATE, id);
      if (isMountPoint(p.rootfs)) await run('umount', ['-l', p.rootfs]).catch(() => undefined);
    }
  }
  for (const h of readdirSync('/sys/fs/cgroup')) {
    for (const parent of [CGROUP_PARENT, '/netd-test']) {
      const dir = join('/sys/fs/cgroup', h, parent);
      if (existsSync(dir)) {
        for (const sub of readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory()) try { rmdirSync(join(dir, sub.name)); } catch { /* busy */ }
        try { rmdirSync(dir); } catch { /* not empty or not ours */ }
      }
    }
  }
  rmSync(BASE, { recursive: true, force: true });
}

describeAsRoot('RuncRuntime and ContainerManager (root, runc + conmon, busybox)', () => {
  let hostNs: TempNetns;
  let ctrNs: TempNetns;

  beforeAll(async () => {
    mkdirSync(BASE, { recursive: true });
    makeBusyboxRootfs(LAYER);
    hostNs = await createTempNetns();
    ctrNs = await createTempNetns();
    // A veth pair from the test's "host" namespace to the container's: 10.250.x.1 ↔ .2.
    await run('ip', ['-n', hostNs.name, 'link', 'add', 'vh0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctrNs.name]);
    await run('ip', ['-n', hostNs.name, 'addr', 'add', '10.250.7.1/24', 'dev', 'vh0']);
    await run('ip', ['-n', hostNs.name, 'link', 'set', 'vh0', 'up']);
    await run('ip', ['-n', ctrNs.name, 'addr', 'add', '10.250.7.2/24', 'dev', 'eth0']);
    await run('ip', ['-n', ctrNs.name, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', ctrNs.name, 'link', 'set', 'lo', 'up']);
  });

  afterAll(async () => {
    try {
      await cleanupAll();
    } finally {
      await ctrNs?.dispose().catch(() => undefined);
      await hostNs?.dispose().catch(() => undefined);
    }
  });

  describeRuntimeContract('RuncRuntime', async () => ({
    runtime: runtimeFor(),
    prepare: async (id, args) => {
      await writeTestBundle(STATE, id, args, { netnsPath: ctrNs.ref.path }, CGROUP_PARENT);
      return { id, lowers: [LAYER], terminal: false };
    },
    dispose: async () => undefined,
  }));

  describe(ContainerManager.name, () => {
    let mgr: ContainerManager;
    // One store for the whole block: a manager made after another (a daemon restart) reads its records.
    const store = new MemoryContainerStore();
    const makeManager = () =>
      new ContainerManager({
        runtime: runtimeFor(), store, stateDir: STATE,
        cgroupMode: detectCgroupMode(), cgroupParent: CGROUP_PARENT, hostResolvConf: () => 'nameserver 10.250.7.1\n',
      });
    const spec = (o: Partial<ContainerSpec>): ContainerSpec => ({
      lowers: [LAYER], cmd: ['sleep', '1000'], network: { kind: 'netns', netnsPath: ctrNs.ref.path }, ...o,
    });
    const names: string[] = [];
    const named = (prefix: string) => {
      const n = `${prefix}-${generateId().slice(0, 6)}`;
      names.push(n);
      return n;
    };

    beforeEach(() => (mgr = makeManager()));
    afterEach(async () => {
      for (const n of names.splice(0)) await mgr.delete(n, { force: true }).catch(() => undefined);
      mgr.detach();
    });

    it('start goes through runc\'s exec fifo without spawning runc, and leaves runc seeing it running', async () => {
      const runtime = runtimeFor();
      const id = generateId();
      await writeTestBundle(STATE, id, ['sleep', '1000'], { netnsPath: ctrNs.ref.path }, CGROUP_PARENT);
      try {
        await runtime.create({ id, lowers: [LAYER], terminal: false });
        const fifo = join(RUNC_ROOT, id, 'exec.fifo');
        expect(existsSync(fifo)).toBe(true);
        expect(await startThroughExecFifo(RUNC_ROOT, id)).toBe(true);
        expect(existsSync(fifo)).toBe(false);
        expect(await new RuncCli({ root: RUNC_ROOT }).state(id)).toMatchObject({ status: 'running' });
        // no fifo any more: the caller falls back to `runc start`, which names the conflict
        expect(await startThroughExecFifo(RUNC_ROOT, id)).toBe(false);
        await expect(runtime.start(id)).rejects.toMatchObject({ kind: 'conflict' });
      } finally {
        await runtime.delete(id, { force: true }).catch(() => undefined);
      }
    });

    it("writes go to the container's upper dir, and a read-only root refuses them", async () => {
      const rw = named('rw');
      const r = await mgr.create(spec({ name: rw, cmd: ['sh', '-c', 'echo x > /written'] }));
      const rwExit = mgr.wait(rw, 'next-exit');
      await mgr.start(rw);
      expect(await rwExit).toEqual({ statusCode: 0 });
      expect(readFileSync(join(containerPaths(STATE, r.id).upper, 'written'), 'utf8')).toBe('x\n');

      const ro = named('ro');
      await mgr.create(spec({ name: ro, cmd: ['sh', '-c', 'echo x > /written'], readonlyRootfs: true }));
      const roExit = mgr.wait(ro, 'next-exit');
      await mgr.start(ro);
      expect(await roExit).toEqual({ statusCode: 1 });
      const lines = [];
      for await (const e of await mgr.logs(ro)) lines.push(e.text);
      expect(lines.join('')).toContain('Read-only file system');
    });

    it('runs echo hi: the log holds "hi" and the exit code is 0', async () => {
      const name = named('echo');
      await mgr.create(spec({ name, cmd: ['echo', 'hi'] }));
      const exited = mgr.wait(name, 'next-exit');
      await mgr.start(name);
      expect(await exited).toEqual({ statusCode: 0 });
      const lines = [];
      for await (const e of await mgr.logs(name)) lines.push(e);
      expect(lines).toEqual([{ time: expect.any(String), stream: 'stdout', text: 'hi\n' }]);
      expect((await mgr.inspect(name)).state).toMatchObject({ status: 'exited', exitCode: 0 });
    });

    it('runs in the given network namespace and pings the test host namespace (NET_RAW)', async () => {
      const name = named('net');
      await mgr.create(spec({ name }));
      await mgr.start(name);
      const ping = await mgr.exec(name, { args: ['ping', '-c1', '-W2', '10.250.7.1'], timeoutMs: 10_000 });
      expect(ping).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('1 packets received') });
      const r = await mgr.inspect(name);
      const hostname = await mgr.exec(name, { args: ['cat', '/etc/hostname'] });
      expect(hostname.stdout).toBe(`${r.hostname}\n`);
      const ifaces = await mgr.exec(name, { args: ['ip', '-o', 'addr', 'show', 'eth0'] });
      expect(ifaces.stdout).toContain('10.250.7.2/24');
    });

    it('sees hosts file updates made while it runs', async () => {
      const name = named('hosts');
      await mgr.create(spec({ name }));
      await mgr.start(name);
      await mgr.updateNetworkFiles(name, { addresses: ['10.250.7.2'], links: [{ ip: '10.250.7.1', alias: 'hostside', id: 'abc', name: 'hs' }] });
      const hosts = await mgr.exec(name, { args: ['cat', '/etc/hosts'] });
      expect(hosts.stdout).toContain('10.250.7.1\thostside abc hs\n');
    });

    it('stops with SIGKILL after the timeout when the process ignores SIGTERM', async () => {
      const name = named('stop');
      await mgr.create(spec({ name }));
      await mgr.start(name);
      const t0 = Date.now();
      await mgr.stop(name, { timeoutSec: 1 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
      expect((await mgr.inspect(name)).state).toMatchObject({ status: 'exited', exitCode: 137 });
    });

    it('stops quickly when the process handles SIGTERM', async () => {
      const name = named('term');
      await mgr.create(spec({ name, cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'] }));
      await mgr.start(name);
      const t0 = Date.now();
      await mgr.stop(name, { timeoutSec: 10 });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((await mgr.inspect(name)).state).toMatchObject({ status: 'exited', exitCode: 0 });
    });

    it('outlives a daemon restart: still running after adopt, and an exit while down is recorded', async () => {
      const name = named('adopt');
      const r = await mgr.create(spec({ name }));
      await mgr.start(name);
      const { pid } = (await mgr.inspect(name)).state;
      const conmonPid = Number(readFileSync(containerPaths(STATE, r.id).conmonPidFile, 'utf8'));
      mgr.detach(); // the daemon goes away: no in-memory state survives
      mgr = makeManager();
      await mgr.adopt();
      expect((await mgr.inspect(name)).state).toMatchObject({ status: 'running', pid });
      expect(isProcessAlive(conmonPid)).toBe(true);

      mgr.detach();
      process.kill(pid, 'SIGKILL'); // the container dies while netd is down
      const deadline = Date.now() + 10_000;
      while (!existsSync(containerPaths(STATE, r.id).exitFile) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      mgr = makeManager();
      await mgr.adopt();
      expect((await mgr.inspect(name)).state).toMatchObject({ status: 'exited', exitCode: 137, pid: 0 });
    });

    it('delete leaves no mount, no runc state, no process, no cgroup and no directory', async () => {
      const name = named('del');
      const r = await mgr.create(spec({ name }));
      await mgr.start(name);
      const paths = containerPaths(STATE, r.id);
      const { pid } = (await mgr.inspect(name)).state;
      const conmonPid = Number(readFileSync(paths.conmonPidFile, 'utf8'));
      // The overlay root exists only in the container's mount namespace, not in the host's.
      expect(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).toMatch(new RegExp(` / / [^\\n]* - overlay overlay [^\\n]*upperdir=${paths.upper},`));
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(paths.dir);
      await mgr.delete(name, { force: true });
      expect(isMountPoint(paths.rootfs)).toBe(false);
      expect((await new RuncCli({ root: RUNC_ROOT }).list()).map((c) => c.id)).not.toContain(r.id);
      expect(isProcessAlive(pid)).toBe(false);
      const deadline = Date.now() + 5000;
      while (isProcessAlive(conmonPid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      expect(isProcessAlive(conmonPid)).toBe(false);
      expect(existsSync(paths.dir)).toBe(false);
      const cg = readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h, CGROUP_PARENT, r.id));
      expect(cg.filter((d) => existsSync(d))).toEqual([]);
    });

    it('host network mode shares the test process namespace interfaces', async () => {
      // Read-only check: the container sees the same lo/ifaces as this process; nothing is changed.
      const name = named('hostnet');
      await mgr.create(spec({ name, network: { kind: 'host' } }));
      await mgr.start(name);
      const out = await mgr.exec(name, { args: ['cat', '/proc/net/dev'] });
      const mine = readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
      for (const i of mine) expect(out.stdout).toContain(`${i}:`);
    });
  });
});

