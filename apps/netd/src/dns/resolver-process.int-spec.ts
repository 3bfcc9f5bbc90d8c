import { MemoryDnsBackend } from '@app/dns';
import { createTempNetns, describeAsRoot, nsExec, run, TempNetns } from '@app/kernel/testing';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResolverProcess } from './resolver-process';
import { ResolverConnection, resolverPaths, ResolverState } from './resolver-protocol';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

/** Every fd of this process that is a socket (the resolver runs in-process here). */
const sockets = (): number => readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
  } catch {
    return false;
  }
}).length;

describeAsRoot('ResolverProcess in container namespaces', () => {
  let dir: string;
  let nsA: TempNetns;
  let nsB: TempNetns;
  let r: ResolverProcess | undefined;
  let conn: ResolverConnection | undefined;

  const records = (): ResolverState['records'] => {
    const b = new MemoryDnsBackend();
    b.upsertNetwork({ id: 'n1', name: 'front' });
    b.upsertEndpoint({ networkId: 'n1', endpointId: 'ea', containerId: A, name: 'a', ipv4: '10.9.0.2' });
    b.upsertEndpoint({ networkId: 'n1', endpointId: 'eb', containerId: B, name: 'b', ipv4: '10.9.0.3' });
    return b.snapshot();
  };
  const start = async (): Promise<ResolverConnection> => {
    r = new ResolverProcess({ execRoot: join(dir, 'run'), dataRoot: join(dir, 'data'), checkMs: 50 });
    await r.start();
    return (conn = await ResolverConnection.open(resolverPaths(join(dir, 'run')).socket));
  };
  /** UDP and TCP listeners on 127.0.0.11:53 inside `ns`, by inode (a re-bind makes new ones). */
  const listeners = async (ns: TempNetns): Promise<string> =>
    (await nsExec(ns.name, 'ss', ['-Hlnue', 'sport', '=', '53'])).split('\n').map((l) => /ino:(\d+)/.exec(l)?.[1]).filter(Boolean).join(',') +
    '|' +
    (await nsExec(ns.name, 'ss', ['-Hlnte', 'sport', '=', '53'])).split('\n').map((l) => /ino:(\d+)/.exec(l)?.[1]).filter(Boolean).join(',');
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netd-resolver-'));
    mkdirSync(join(dir, 'data'));
    nsA = await createTempNetns();
    nsB = await createTempNetns();
    for (const ns of [nsA, nsB]) await run('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
  });

  afterEach(async () => {
    conn?.close();
    await r?.stop('test over');
    await nsA?.dispose();
    await nsB?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the sockets of a sandbox through syncs that still name it, closes those it drops, and leaks no fd', async () => {
    const before = sockets();
    const c = await start();
    const both = [{ id: A, ns: nsA.ref.path }, { id: B, ns: nsB.ref.path }];
    expect(await c.request({ op: 'sync', records: records(), sandboxes: both })).toMatchObject({ ok: true, failed: {} });
    const first = await listeners(nsA);
    expect(first).toMatch(/^\d+\|\d+$/);
    expect(await nsExec(nsA.name, 'busybox', ['nslookup', 'b', '127.0.0.11'])).toContain('10.9.0.3');
    await c.request({ op: 'sync', records: records(), sandboxes: both });
    expect(await listeners(nsA)).toBe(first);
    await c.request({ op: 'sync', records: records(), sandboxes: [both[0]] });
    expect(await listeners(nsB)).toBe('|');
    expect(await listeners(nsA)).toBe(first);
    await c.request({ op: 'sync', records: records(), sandboxes: [] });
    expect(await listeners(nsA)).toBe('|');
    c.close();
    await r!.stop('done');
    r = undefined;
    expect(sockets()).toBe(before);
  });

  it('serves again from its persisted state after its own restart, before any netd speaks', async () => {
    const c = await start();
    await c.request({ op: 'sync', records: records(), sandboxes: [{ id: A, ns: nsA.ref.path }] });
    c.close();
    await r!.stop('restart');
    expect(await listeners(nsA)).toBe('|');
    r = new ResolverProcess({ execRoot: join(dir, 'run'), dataRoot: join(dir, 'data') });
    await r.start();
    expect(r.serving()).toEqual(new Map([[A, nsA.ref.path]]));
    expect(await nsExec(nsA.name, 'busybox', ['nslookup', 'b', '127.0.0.11'])).toContain('10.9.0.3');
  });

  it('re-binds when the path names another namespace, and drops a sandbox whose namespace is gone', async () => {
    const c = await start();
    await c.request({ op: 'sync', records: records(), sandboxes: [{ id: A, ns: nsA.ref.path }, { id: B, ns: nsB.ref.path }] });
    const old = nsA.name;
    await nsA.dispose();
    nsA = await createTempNetns(old);
    await run('ip', ['-n', nsA.name, 'link', 'set', 'lo', 'up']);
    await c.request({ op: 'sync', records: records(), sandboxes: [{ id: A, ns: nsA.ref.path }, { id: B, ns: nsB.ref.path }] });
    expect(await listeners(nsA)).toMatch(/^\d+\|\d+$/);
    await nsB.dispose();
    const end = Date.now() + 2000;
    while (r!.serving().has(B) && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    expect([...r!.serving().keys()]).toEqual([A]);
  });
});
