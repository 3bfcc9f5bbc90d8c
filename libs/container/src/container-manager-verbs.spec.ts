import { IpAddr } from '@app/common';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerManager } from './container-manager';
import type { ContainerSpec } from './container-record';
import { containerPaths } from './layout';
import { FakeRuntime, MemoryContainerStore } from './testing';

/** rename, pause/unpause and update, on the fake runtime. */
describe(`${ContainerManager.name} verbs`, () => {
  let dir: string;
  let runtime: FakeRuntime;
  let store: MemoryContainerStore;
  let events: { action: string; attributes?: Record<string, string> }[];
  let mgr: ContainerManager;
  let layer: string;
  const spec = (o: Partial<ContainerSpec> = {}): ContainerSpec => ({
    lowers: [layer], cmd: ['sleep', '1000'], network: { kind: 'netns', netnsPath: '/run/netns/x' }, ...o,
  });
  const running = async (name = 'web', o: Partial<ContainerSpec> = {}) => {
    const r = await mgr.create(spec({ name, ...o }));
    await mgr.start(r.id);
    return r;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netd-mgr-verbs-'));
    layer = join(dir, 'layer');
    mkdirSync(layer);
    runtime = new FakeRuntime();
    store = new MemoryContainerStore();
    events = [];
    mgr = new ContainerManager({
      runtime, store, stateDir: join(dir, 'containers'), cgroupMode: 'hybrid',
      hostResolvConf: () => 'nameserver 10.0.0.53\n', hostGateway: IpAddr.parse('172.17.0.1'),
      onEvent: (e) => events.push({ action: e.action, ...(e.attributes ? { attributes: e.attributes } : {}) }),
    });
  });
  afterEach(() => {
    mgr.detach();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('rename', () => {
    it('renames, frees the old name and reports the old one in the event', async () => {
      const r = await running();
      const apply = jest.fn();
      await mgr.rename('web', 'web2', apply);
      expect((await mgr.inspect(r.id)).name).toBe('/web2');
      expect(apply).toHaveBeenCalledWith(expect.objectContaining({ name: '/web2' }));
      await expect(mgr.inspect('web')).rejects.toMatchObject({ kind: 'not-found' });
      expect(events.at(-1)).toEqual({ action: 'rename', attributes: { oldName: '/web' } });
      await mgr.create(spec({ name: 'web' }));
    });

    it.each([
      { name: 'an empty name', to: '', kind: 'invalid-parameter', message: 'Neither old nor new names may be empty' },
      { name: 'its own name', to: '/web', kind: 'invalid-parameter', message: 'Renaming a container with the same name as its current name' },
      { name: 'an invalid name', to: 'a/b', kind: 'invalid-parameter', message: 'Error when allocating new name: Invalid container name (a/b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' },
      { name: 'a taken name', to: 'db', kind: 'conflict', message: /^Error when allocating new name: Conflict\. The container name "\/db" is already in use by container "[0-9a-f]{64}"/ },
    ])('refuses $name with Docker\'s message and changes nothing', async ({ to, kind, message }) => {
      const r = await running();
      await mgr.create(spec({ name: 'db' }));
      const n = events.length;
      await expect(mgr.rename('web', to)).rejects.toMatchObject({ kind, message });
      expect((await mgr.inspect(r.id)).name).toBe('/web');
      expect(events.length).toBe(n);
    });

    it('puts the old name back when apply fails', async () => {
      const r = await running();
      await expect(mgr.rename('web', 'web2', () => { throw new Error('boom'); })).rejects.toThrow('boom');
      expect((await mgr.inspect(r.id)).name).toBe('/web');
    });
  });

  describe('pause and unpause', () => {
    it('freezes and thaws: Status paused with Running and Paused true, then running again', async () => {
      const r = await running();
      await mgr.pause(r.id);
      expect((await mgr.inspect(r.id)).state).toMatchObject({ status: 'paused', running: true, paused: true });
      expect((await runtime.state(r.id))?.status).toBe('paused');
      await mgr.unpause(r.id);
      expect((await mgr.inspect(r.id)).state).toMatchObject({ status: 'running', running: true, paused: false });
      expect(events.map((e) => e.action)).toEqual(['create', 'start', 'pause', 'unpause']);
    });

    it("answers Docker's 409s: pause of a created or paused container, unpause of a running one, exec into a paused one", async () => {
      const created = await mgr.create(spec({ name: 'c1' }));
      await expect(mgr.pause(created.id)).rejects.toMatchObject({ kind: 'conflict', message: `Container ${created.id} is not running` });
      const r = await running();
      await expect(mgr.unpause(r.id)).rejects.toMatchObject({ kind: 'conflict', message: `Container ${r.id} is not paused` });
      await mgr.pause(r.id);
      await expect(mgr.pause(r.id)).rejects.toMatchObject({ kind: 'conflict', message: `Container ${r.id} is already paused` });
      await expect(mgr.exec(r.id, { args: ['true'] })).rejects.toMatchObject({ kind: 'conflict', message: `Container ${r.id} is paused, unpause the container before exec` });
      await expect(mgr.execSession(r.id, { args: ['true'], tty: false, stdin: false })).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('stops and kills a paused container (thawed after the signal, as a frozen process takes it only then)', async () => {
      const a = await running('aa');
      await mgr.pause(a.id);
      expect(await mgr.stop(a.id, { timeoutSec: 1 })).toBe(true);
      expect((await mgr.inspect(a.id)).state).toMatchObject({ status: 'exited', running: false, paused: false, exitCode: 143 });
      const b = await running('bb');
      await mgr.pause(b.id);
      await mgr.kill(b.id);
      expect((await mgr.inspect(b.id)).state).toMatchObject({ status: 'exited', paused: false, exitCode: 137 });
    });
  });

  describe('update', () => {
    it('applies limits to a running container, keeps them in the record and the bundle, and sets the restart policy', async () => {
      const r = await running('web', { resources: { cpuShares: 512 } });
      await mgr.update(r.id, { resources: { memory: 64 << 20, pidsLimit: 50 }, restartPolicy: { name: 'always', maximumRetryCount: 0 } });
      expect(runtime.resourcesOf(r.id)).toEqual({ memory: 64 << 20, pidsLimit: 50 });
      const after = await mgr.inspect(r.id);
      expect(after.spec.resources).toEqual({ cpuShares: 512, memory: 64 << 20, pidsLimit: 50 });
      expect(after.spec.restartPolicy).toEqual({ name: 'always', maximumRetryCount: 0 });
      const config = JSON.parse(readFileSync(containerPaths(join(dir, 'containers'), r.id).config, 'utf8'));
      expect(config.linux.resources).toMatchObject({ memory: { limit: 64 << 20 }, cpu: { shares: 512 }, pids: { limit: 50 } });
    });

    it('updates a stopped container for its next start, without the runtime', async () => {
      const r = await mgr.create(spec({ name: 'c1' }));
      await mgr.update(r.id, { resources: { cpuShares: 100 } });
      const config = JSON.parse(readFileSync(containerPaths(join(dir, 'containers'), r.id).config, 'utf8'));
      expect(config.linux.resources.cpu).toEqual({ shares: 100 });
      expect((await mgr.inspect(r.id)).spec.resources).toEqual({ cpuShares: 100 });
    });

    it('changes nothing when the runtime refuses the limits', async () => {
      const r = await running();
      jest.spyOn(runtime, 'update').mockRejectedValueOnce(Object.assign(new Error('runc: invalid'), { kind: 'invalid-parameter' }));
      await expect(mgr.update(r.id, { resources: { memory: 64 << 20 } })).rejects.toThrow('runc: invalid');
      expect((await mgr.inspect(r.id)).spec.resources).toBeUndefined();
    });
  });
});
