import { MemoryDnsBackend } from '@app/dns';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureResolver, ResolverMirror } from './resolver-client';
import { ResolverProcess } from './resolver-process';
import { ResolverConnection, resolverPaths, ResolverState } from './resolver-protocol';

// In-process resolvers serving no sandbox (binding needs root: see the dns-restart e2e test):
// the control protocol, adoption, replacement and the exits.
describe('DNS resolver process', () => {
  let dir: string;
  let execRoot: string;
  let dataRoot: string;
  const running: ResolverProcess[] = [];
  const quiet = (): void => undefined;

  const resolver = async (o: Partial<ConstructorParameters<typeof ResolverProcess>[0]> = {}): Promise<ResolverProcess> => {
    const r = new ResolverProcess({ execRoot, dataRoot, ...o });
    running.push(r);
    await r.start();
    return r;
  };
  const records = (name: string): ResolverState['records'] => {
    const b = new MemoryDnsBackend({ ttl: 7 });
    b.upsertNetwork({ id: 'n1', name: 'front' });
    b.upsertEndpoint({ networkId: 'n1', endpointId: 'e1', containerId: 'c'.repeat(64), name, ipv4: '10.1.0.2' });
    return b.snapshot();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netd-resolver-'));
    execRoot = join(dir, 'run');
    dataRoot = join(dir, 'data');
    mkdirSync(dataRoot);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop('test over')));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('ResolverProcess', () => {
    it('answers hello with its version and pid, applies a sync and persists it', async () => {
      const r = await resolver();
      const c = await ResolverConnection.open(resolverPaths(execRoot).socket);
      expect(await c.request({ op: 'hello' })).toEqual({ id: 1, ok: true, version: r.version, pid: process.pid });
      expect(await c.request({ op: 'sync', records: records('web'), sandboxes: [{ id: 'x', ns: join(dir, 'no-such-ns') }] })).toEqual({
        id: 2,
        ok: true,
        failed: { x: expect.stringContaining('ENOENT') },
      });
      const saved = JSON.parse(readFileSync(resolverPaths(execRoot).state, 'utf8')) as ResolverState;
      expect(saved.records.endpoints.map((e) => e.name)).toEqual(['web']);
      expect(saved.sandboxes).toEqual([]);
      c.close();
    });

    it('refuses to start where another resolver answers', async () => {
      await resolver();
      const second = new ResolverProcess({ execRoot, dataRoot });
      await expect(second.start()).rejects.toThrow('another DNS resolver serves');
    });

    it('exits when the data root is removed, and removes its socket and pid file', async () => {
      const r = await resolver({ checkMs: 20 });
      rmSync(dataRoot, { recursive: true });
      await r.done;
      expect([existsSync(resolverPaths(execRoot).socket), existsSync(resolverPaths(execRoot).pid)]).toEqual([false, false]);
    });

    it('exits when idle: nothing served and no netd connected', async () => {
      const r = await resolver({ checkMs: 20, idleExitMs: 100 });
      const c = await ResolverConnection.open(resolverPaths(execRoot).socket);
      await new Promise((res) => setTimeout(res, 250));
      expect(r.serving().size).toBe(0);
      let exited = false;
      void r.done.then(() => (exited = true));
      await new Promise((res) => setTimeout(res, 50));
      expect(exited).toBe(false); // netd is connected
      c.close();
      await r.done;
    });

    it('exits on shutdown', async () => {
      const r = await resolver();
      const c = await ResolverConnection.open(resolverPaths(execRoot).socket);
      expect(await c.request({ op: 'shutdown' })).toMatchObject({ ok: true });
      await r.done;
    });
  });

  describe(ensureResolver.name, () => {
    const launcher = (version: string, spawned: ResolverProcess[], after: Promise<unknown> = Promise.resolve()) => ({
      execRoot,
      dataRoot,
      version,
      command: ['node', 'netd.js'] as const,
      log: quiet,
      // "spawns" an in-process resolver of the wanted version; its pid is this process's
      spawn: () => {
        const r = new ResolverProcess({ execRoot, dataRoot });
        Object.assign(r, { version });
        running.push(r);
        spawned.push(r);
        // a real replacement starts once the old process is gone (ensureResolver waits on its pid)
        void after.then(() => r.start());
        return process.pid;
      },
    });

    it('adopts a running resolver of its version without starting another', async () => {
      const r = await resolver();
      const spawned: ResolverProcess[] = [];
      const c = await ensureResolver(launcher(r.version, spawned));
      expect(spawned).toEqual([]);
      expect(await c.request({ op: 'hello' })).toMatchObject({ version: r.version });
      c.close();
    });

    it('stops a resolver of another version and starts its own', async () => {
      const old = await resolver();
      const spawned: ResolverProcess[] = [];
      const c = await ensureResolver(launcher('other-build', spawned, old.done));
      expect(spawned).toHaveLength(1);
      expect(await c.request({ op: 'hello' })).toMatchObject({ version: 'other-build' });
      c.close();
    });

    it('starts one when none runs', async () => {
      const spawned: ResolverProcess[] = [];
      const c = await ensureResolver(launcher('v1', spawned));
      expect(spawned).toHaveLength(1);
      c.close();
    });
  });

  describe(ResolverMirror.name, () => {
    it('sends nothing before start, then every change, coalesced, and the state as it is when it leaves', async () => {
      const r = await resolver();
      let name = 'a';
      let connects = 0;
      const sent: string[] = [];
      const m = new ResolverMirror(
        async () => (connects++, ResolverConnection.open(resolverPaths(execRoot).socket)),
        () => {
          sent.push(name);
          return { records: records(name), sandboxes: [] };
        },
        quiet,
      );
      m.changed();
      expect(sent).toEqual([]);
      await m.start();
      name = 'b';
      m.changed();
      name = 'c';
      m.changed();
      m.changed();
      await m.flush();
      expect(sent[0]).toBe('a');
      expect(sent.length).toBeLessThanOrEqual(3);
      expect(sent[sent.length - 1]).toBe('c');
      expect(connects).toBe(1);
      const saved = JSON.parse(readFileSync(resolverPaths(execRoot).state, 'utf8')) as ResolverState;
      expect(saved.records.endpoints[0].name).toBe('c');
      m.close();
      expect(r.serving().size).toBe(0);
    });

    it('reads the resolver process\'s query counters over its connection, and never starts one for that', async () => {
      await resolver();
      let connects = 0;
      const m = new ResolverMirror(async () => (connects++, ResolverConnection.open(resolverPaths(execRoot).socket)), () => ({ records: records('a'), sandboxes: [] }), quiet);
      expect(await m.stats()).toBeUndefined();
      expect(connects).toBe(0);
      await m.start();
      expect(await m.stats()).toEqual({ queries: { udp: 0, tcp: 0 }, dropped: 0, answers: { local: {}, forward: {} }, latency: expect.objectContaining({ count: 0 }) });
      m.close();
    });

    it('starts a new resolver and brings it up to date when the old one goes away', async () => {
      const first = await resolver();
      const m = new ResolverMirror(
        () =>
          ensureResolver({
            execRoot,
            dataRoot,
            version: first.version,
            command: ['node', 'netd.js'],
            log: quiet,
            spawn: () => {
              const r = new ResolverProcess({ execRoot, dataRoot });
              running.push(r);
              void r.start();
              return process.pid;
            },
          }),
        () => ({ records: records('web'), sandboxes: [] }),
        quiet,
      );
      await m.start();
      await first.stop('killed');
      rmSync(resolverPaths(execRoot).state);
      const end = Date.now() + 3000;
      while (!existsSync(resolverPaths(execRoot).state) && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
      expect(running).toHaveLength(2);
      const saved = JSON.parse(readFileSync(resolverPaths(execRoot).state, 'utf8')) as ResolverState;
      expect(saved.records.endpoints[0].name).toBe('web');
      m.close();
    });
  });
});
