import { IpAddr, SystemError } from '@app/common';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerManager } from './container-manager';
import type { ContainerSpec } from './container-record';
import { containerPaths } from './layout';
import { parseRestartPolicy } from './restart-policy';
import { FakeRuntime, MemoryContainerStore } from './testing';

describe(ContainerManager.name, () => {
  let dir: string;
  let runtime: FakeRuntime;
  let store: MemoryContainerStore;
  let events: string[];
  const make = () =>
    new ContainerManager({
      runtime, store, stateDir: join(dir, 'containers'), cgroupMode: 'hybrid',
      hostResolvConf: () => 'nameserver 10.0.0.53\n', hostGateway: IpAddr.parse('172.17.0.1'),
      onEvent: (e) => events.push(`${e.action}${e.exitCode !== undefined ? `:${e.exitCode}` : ''}`),
    });
  let mgr: ContainerManager;
  let layer: string;
  const spec = (o: Partial<ContainerSpec> = {}): ContainerSpec => ({
    lowers: [layer], cmd: ['sleep', '1000'], network: { kind: 'netns', netnsPath: '/run/netns/x' }, ...o,
  });
  const settle = () => new Promise((r) => setTimeout(r, 20));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netd-mgr-'));
    layer = join(dir, 'layer');
    mkdirSync(layer);
    runtime = new FakeRuntime();
    store = new MemoryContainerStore();
    events = [];
    mgr = make();
  });
  afterEach(() => {
    mgr.detach();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('create', () => {
    it('writes the bundle and the /etc files and records a created container', async () => {
      const r = await mgr.create(spec({ name: 'web', extraHosts: ['hg:host-gateway'] }));
      const p = containerPaths(join(dir, 'containers'), r.id);
      expect(r).toMatchObject({ name: '/web', hostname: r.id.slice(0, 12), state: { status: 'created' } });
      expect(JSON.parse(readFileSync(p.config, 'utf8')).process.args).toEqual(['sleep', '1000']);
      expect(readFileSync(p.hosts, 'utf8')).toContain('172.17.0.1\thg\n');
      expect(readFileSync(p.hostname, 'utf8')).toBe(`${r.id.slice(0, 12)}\n`);
      expect(readFileSync(p.resolvConf, 'utf8')).toBe('nameserver 10.0.0.53\n');
      expect(runtime.has(r.id)).toBe(false);
      expect(events).toEqual(['create']);
    });

    it('refuses a taken name with a Conflict and leaves nothing new behind', async () => {
      const first = await mgr.create(spec({ name: 'web' }));
      await expect(mgr.create(spec({ name: '/web' }))).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining(first.id) });
      expect(await store.list()).toHaveLength(1);
    });

    it.each([
      { name: 'bad name', o: { name: '-x' }, message: 'Invalid container name (-x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' },
      { name: 'empty command', o: { cmd: [] }, message: 'No command specified' },
      { name: 'bad add-host', o: { extraHosts: ['nope'] }, message: 'bad format for add-host: "nope"' },
    ])('rejects $name and writes nothing', async ({ o, message }) => {
      await expect(mgr.create(spec(o))).rejects.toMatchObject({ kind: 'invalid-parameter', message });
      expect(await store.list()).toEqual([]);
      expect(existsSync(join(dir, 'containers')) ? readdirSync(join(dir, 'containers')) : []).toEqual([]);
    });
  });

  describe('start', () => {
    it('refuses a user the image does not know at start, as dockerd does, not at create; no process is made', async () => {
      const r = await mgr.create(spec({ name: 'u1', user: 'ghost' }));
      expect(r.state.status).toBe('created');
      await expect(mgr.start('u1')).rejects.toMatchObject({ kind: 'invalid-parameter', message: 'unable to find user ghost: no matching entries in passwd file' });
      expect(runtime.has(r.id)).toBe(false);
      expect((await mgr.inspect('u1')).state).toMatchObject({ running: false, error: 'unable to find user ghost: no matching entries in passwd file' });
    });

    it('creates and starts the runtime container and records the pid', async () => {
      const r = await mgr.create(spec({ name: 'a1' }));
      expect(await mgr.start('a1')).toBe(true);
      const s = await mgr.inspect(r.id.slice(0, 8));
      expect(s.state).toMatchObject({ status: 'running', running: true, pid: expect.any(Number) });
      expect(runtime.createSpecOf(r.id)).toMatchObject({ lowers: [layer], terminal: false });
      expect(await mgr.start('a1')).toBe(false);
    });

    it('records an exit seen by the watcher', async () => {
      const r = await mgr.create(spec({ name: 'a1' }));
      await mgr.start('a1');
      runtime.exit(r.id, 3);
      await settle();
      expect((await mgr.inspect('a1')).state).toMatchObject({ status: 'exited', exitCode: 3, pid: 0 });
      expect(events).toEqual(['create', 'start', 'die:3']);
    });

    it('keeps the container created with the error when the runtime fails', async () => {
      await mgr.create(spec({ name: 'a1' }));
      runtime.failNextCreate = new Error('exec: "nope": not found');
      await expect(mgr.start('a1')).rejects.toThrow('not found');
      expect((await mgr.inspect('a1')).state).toMatchObject({ status: 'created', exitCode: 128, error: 'exec: "nope": not found' });
    });
  });

  describe('stop', () => {
    it('stops with the stop signal when the process obeys', async () => {
      const r = await mgr.create(spec({ name: 'a1' }));
      await mgr.start('a1');
      expect(await mgr.stop('a1', { timeoutSec: 5 })).toBe(true);
      expect((await mgr.inspect(r.id)).state).toMatchObject({ status: 'exited', exitCode: 143 });
      expect(await mgr.stop('a1')).toBe(false);
    });

    it('falls back to SIGKILL after the timeout', async () => {
      const r = await mgr.create(spec({ name: 'a1' }));
      await mgr.start('a1');
      runtime.ignoreSignal(r.id, 'SIGTERM');
      const t0 = Date.now();
      await mgr.stop('a1', { timeoutSec: 0.2 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
      expect((await mgr.inspect(r.id)).state).toMatchObject({ status: 'exited', exitCode: 137 });
    });
  });

  describe('kill', () => {
    it('with SIGKILL returns once the exit is recorded: the container is exited and can be removed at once', async () => {
      const r = await mgr.create(spec({ name: 'k1' }));
      await mgr.start('k1');
      await mgr.kill('k1');
      expect((await mgr.inspect(r.id)).state).toMatchObject({ status: 'exited', running: false, exitCode: 137 });
      await mgr.delete('k1');
      await expect(mgr.inspect(r.id)).rejects.toMatchObject({ kind: 'not-found' });
    });

    it('with another signal returns once it is sent; the container may keep running', async () => {
      const r = await mgr.create(spec({ name: 'k2' }));
      await mgr.start('k2');
      runtime.ignoreSignal(r.id, 'SIGUSR1');
      await mgr.kill('k2', 'SIGUSR1');
      expect((await mgr.inspect(r.id)).state).toMatchObject({ status: 'running' });
      await expect(mgr.kill('nope')).rejects.toMatchObject({ kind: 'not-found' });
    });
  });

  describe('delete', () => {
    it('refuses a running container without force', async () => {
      const r = await mgr.create(spec({ name: 'a1' }));
      await mgr.start('a1');
      await expect(mgr.delete('a1')).rejects.toMatchObject({
        kind: 'conflict',
        message: `You cannot remove a running container ${r.id}. Stop the container before attempting removal or force remove`,
      });
    });

    it('force-removes a running container: runtime state, directory and record go', async () => {
      const r = await mgr.create(spec({ name: 'a1' }));
      await mgr.start('a1');
      await mgr.delete('a1', { force: true });
      expect(runtime.has(r.id)).toBe(false);
      expect(existsSync(containerPaths(join(dir, 'containers'), r.id).dir)).toBe(false);
      await expect(mgr.inspect('a1')).rejects.toMatchObject({ kind: 'not-found', message: 'No such container: a1' });
      expect(events.slice(-2)).toEqual(['die:137', 'destroy']);
    });

    it('removes an --rm container when it exits', async () => {
      const r = await mgr.create(spec({ name: 'a1', autoRemove: true }));
      await mgr.start('a1');
      const removed = mgr.wait('a1', 'removed');
      runtime.exit(r.id, 0);
      expect(await removed).toEqual({ statusCode: 0 });
      expect(await store.list()).toEqual([]);
    });
  });

  describe('wait', () => {
    it('drops the listeners of a wait whose client went away, and still answers the waits that stay', async () => {
      const r = await mgr.create(spec({ name: 'a1' }));
      await mgr.start('a1');
      const stays = mgr.wait('a1', 'removed');
      for (let i = 0; i < 50; i++) {
        const gone = new AbortController();
        const w = mgr.wait('a1', i % 2 ? 'removed' : 'not-running', gone.signal);
        gone.abort(new Error('client gone'));
        await expect(w).rejects.toThrow('client gone');
      }
      expect(mgr.waiting).toBe(2);
      runtime.exit(r.id, 3);
      await mgr.delete('a1', {});
      expect(await stays).toEqual({ statusCode: 3 });
      expect(mgr.waiting).toBe(0);
    });
  });

  describe('restart policy', () => {
    it('restarts on-failure up to the limit', async () => {
      const r = await mgr.create(spec({ name: 'a1', restartPolicy: parseRestartPolicy('on-failure:1') }));
      await mgr.start('a1');
      runtime.exit(r.id, 1);
      await new Promise((res) => setTimeout(res, 250));
      expect((await mgr.inspect('a1')).state.status).toBe('running');
      expect((await mgr.inspect('a1')).restartCount).toBe(1);
      runtime.exit(r.id, 1);
      await new Promise((res) => setTimeout(res, 350));
      expect((await mgr.inspect('a1')).state).toMatchObject({ status: 'exited', exitCode: 1 });
    });

    it('does not restart an always container stopped by hand', async () => {
      await mgr.create(spec({ name: 'a1', restartPolicy: parseRestartPolicy('always') }));
      await mgr.start('a1');
      await mgr.stop('a1');
      await new Promise((res) => setTimeout(res, 150));
      expect((await mgr.inspect('a1')).state.status).toBe('exited');
    });
  });

  describe('final exit', () => {
    let dies: Array<{ exitCode?: number; final?: boolean }>;
    beforeEach(() => {
      dies = [];
      mgr.onLifecycleEvent((e) => e.action === 'die' && dies.push({ exitCode: e.exitCode, final: e.final }));
    });

    it('announces each exit once, final only when the restart policy lets the container rest', async () => {
      const r = await mgr.create(spec({ name: 'a1', restartPolicy: parseRestartPolicy('on-failure:1') }));
      await mgr.start('a1');
      runtime.exit(r.id, 1);
      await new Promise((res) => setTimeout(res, 250));
      expect((await mgr.inspect('a1')).state.status).toBe('running');
      runtime.exit(r.id, 1);
      await new Promise((res) => setTimeout(res, 350));
      expect(dies).toEqual([{ exitCode: 1, final: false }, { exitCode: 1, final: true }]);
    });

    it('is final for a container stopped by hand, whatever its policy', async () => {
      await mgr.create(spec({ name: 'a1', restartPolicy: parseRestartPolicy('always') }));
      await mgr.start('a1');
      await mgr.stop('a1');
      await settle();
      expect(dies).toEqual([{ exitCode: 143, final: true }]);
    });

    it('follows the daemon-start rule for exits found at adopt: an always container comes back', async () => {
      const a = await mgr.create(spec({ name: 'ca', restartPolicy: parseRestartPolicy('always') }));
      await mgr.start('ca');
      mgr.detach();
      runtime.exit(a.id, 3);
      mgr = make();
      const seen: Array<{ final?: boolean }> = [];
      mgr.onLifecycleEvent((e) => e.action === 'die' && seen.push({ final: e.final }));
      await mgr.adopt();
      expect(seen).toEqual([{ final: false }]);
      expect((await mgr.inspect('ca')).state.status).toBe('running');
    });
  });

  describe('network', () => {
    /** A network side that records its steps and can fail before or after the namespace exists. */
    function network(o: { failBeforeNamespace?: boolean; failAfterNamespace?: boolean; holdMs?: number } = {}) {
      const steps: string[] = [];
      return {
        steps,
        async setUp(id: string, namespaceReady: () => void) {
          if (o.failBeforeNamespace) throw new SystemError('no namespace');
          steps.push(`ns ${id}`);
          namespaceReady();
          await new Promise((r) => setTimeout(r, o.holdMs ?? 0));
          if (o.failAfterNamespace) throw new SystemError('no endpoint');
          steps.push(`endpoints ${id}`);
        },
        async tearDown(id: string) {
          steps.push(`teardown ${id}`);
        },
      };
    }
    const withNetwork = (net: ReturnType<typeof network>) =>
      new ContainerManager({ runtime, network: net, store, stateDir: join(dir, 'containers'), cgroupMode: 'hybrid', hostResolvConf: () => '' });

    it('creates the runtime container once the namespace exists, and starts after the endpoints too', async () => {
      const net = network({ holdMs: 30 });
      mgr = withNetwork(net);
      const r = await mgr.create(spec());
      const created = jest.spyOn(runtime, 'create');
      const started = mgr.start(r.id);
      await new Promise((res) => setTimeout(res, 10));
      // runc works while the endpoints are still being made
      expect(created).toHaveBeenCalled();
      expect(net.steps).toEqual([`ns ${r.id}`]);
      await started;
      expect(net.steps).toEqual([`ns ${r.id}`, `endpoints ${r.id}`]);
      expect(await runtime.state(r.id)).toMatchObject({ status: 'running' });
    });

    it('a network failure after the runtime create removes the runtime container and the network', async () => {
      const net = network({ failAfterNamespace: true, holdMs: 5 });
      mgr = withNetwork(net);
      const r = await mgr.create(spec());
      await expect(mgr.start(r.id)).rejects.toThrow('no endpoint');
      expect(await runtime.state(r.id)).toBeUndefined();
      expect(net.steps).toContain(`teardown ${r.id}`);
    });

    it('when the network fails and the runtime then fails on the namespace the teardown took, the network’s error is what the start reports', async () => {
      const net = network({ failAfterNamespace: true, holdMs: 5 });
      mgr = withNetwork(net);
      const r = await mgr.create(spec());
      runtime.failNextCreate = new SystemError('runc create failed: namespace path: lstat /run/netns/x: no such file or directory');
      await expect(mgr.start(r.id)).rejects.toThrow('no endpoint');
      expect(net.steps).toContain(`teardown ${r.id}`);
    });

    it('a failure before the namespace exists never reaches the runtime', async () => {
      const net = network({ failBeforeNamespace: true });
      mgr = withNetwork(net);
      const r = await mgr.create(spec());
      const created = jest.spyOn(runtime, 'create');
      await expect(mgr.start(r.id)).rejects.toThrow('no namespace');
      expect(created).not.toHaveBeenCalled();
      expect(net.steps).toEqual([`teardown ${r.id}`]);
    });

    it('a runtime failure tears the network down', async () => {
      const net = network();
      mgr = withNetwork(net);
      const r = await mgr.create(spec());
      runtime.failNextCreate = new SystemError('runc failed');
      await expect(mgr.start(r.id)).rejects.toThrow('runc failed');
      expect(net.steps).toEqual([`ns ${r.id}`, `endpoints ${r.id}`, `teardown ${r.id}`]);
    });
  });

  describe('adopt', () => {
    it('re-attaches to running containers and records exits that happened while down', async () => {
      const a = await mgr.create(spec({ name: 'ca' }));
      const b = await mgr.create(spec({ name: 'cb' }));
      await mgr.start('ca');
      await mgr.start('cb');
      mgr.detach();
      runtime.exit(b.id, 42);
      mgr = make();
      await mgr.adopt();
      expect((await mgr.inspect('ca')).state).toMatchObject({ status: 'running' });
      expect((await mgr.inspect('cb')).state).toMatchObject({ status: 'exited', exitCode: 42 });
      runtime.exit(a.id, 7);
      await settle();
      expect((await mgr.inspect('ca')).state).toMatchObject({ status: 'exited', exitCode: 7 });
    });

    it('starts unless-stopped containers that died while the daemon was down', async () => {
      const a = await mgr.create(spec({ name: 'ca', restartPolicy: parseRestartPolicy('unless-stopped') }));
      await mgr.start('ca');
      mgr.detach();
      runtime.exit(a.id, 137);
      mgr = make();
      await mgr.adopt();
      expect((await mgr.inspect('ca')).state.status).toBe('running');
    });
  });

  describe('updateNetworkFiles', () => {
    it('rewrites hosts in place with the new addresses and links', async () => {
      const r = await mgr.create(spec({ name: 'ca' }));
      const p = containerPaths(join(dir, 'containers'), r.id);
      const inode = statSync(p.hosts).ino;
      await mgr.updateNetworkFiles('ca', { addresses: ['10.1.0.2'], links: [{ ip: '10.1.0.3', alias: 'db', id: 'abc', name: 'dbc' }] });
      const text = readFileSync(p.hosts, 'utf8');
      expect(text).toContain(`10.1.0.2\t${r.hostname}\n`);
      expect(text).toContain('10.1.0.3\tdb abc dbc\n');
      expect(statSync(p.hosts).ino).toBe(inode);
    });
  });
});
