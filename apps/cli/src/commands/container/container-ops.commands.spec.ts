import * as fsx from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeNetdClient } from '../../testing/fake-netd-client';
import { runNetctl } from '../../testing/run-cli';
import { topTable, updateBody } from './container-ops.handler';

async function daemon(): Promise<{ fake: FakeNetdClient; id: string }> {
  const fake = new FakeNetdClient();
  fake.addImage('busybox:latest', { id: 'sha256:' + 'ab'.repeat(32) });
  const r = await runNetctl(['run', '-d', '--name', 'web', 'busybox', 'sleep', '60'], fake);
  return { fake, id: r.stdout.trim() };
}

describe('rename, pause, unpause, update, top, container prune', () => {
  it('rename sends the new name and prints nothing; a taken name prints the daemon error', async () => {
    const { fake } = await daemon();
    expect(await runNetctl(['rename', 'web', 'web2'], fake)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fake.requests.find((r) => r.method === 'renameContainer')).toMatchObject({ target: 'web', body: { name: 'web2' } });
    await runNetctl(['create', '--name', 'db', 'busybox', 'true'], fake);
    const taken = await runNetctl(['rename', 'web2', 'db'], fake);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('Error when allocating new name: Conflict.');
  });

  it('pause and unpause print each name, and go on after a failure', async () => {
    const { fake } = await daemon();
    expect(await runNetctl(['pause', 'web'], fake)).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
    const again = await runNetctl(['pause', 'web', 'nope'], fake);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is already paused');
    expect((await runNetctl(['unpause', 'web'], fake)).stdout).toBe('web\n');
  });

  it('update sends only the flags given, in the daemon units', async () => {
    const { fake } = await daemon();
    expect((await runNetctl(['update', '-m', '64m', '--memory-swap', '-1', '--cpus', '0.5', '--pids-limit', '50', '--restart', 'on-failure:3', 'web'], fake)).stdout).toBe('web\n');
    expect(fake.requests.find((r) => r.method === 'updateContainer')?.body).toEqual({
      Memory: 64 << 20, MemorySwap: -1, NanoCpus: 5e8, PidsLimit: 50, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
    });
    expect((await runNetctl(['update', 'web'], fake)).code).toBe(125);
    expect(() => updateBody({ memory: 'lots' })).toThrow('invalid argument "lots" for "--memory" flag');
  });

  it("top prints docker's table and passes ps options after the container", async () => {
    const { fake } = await daemon();
    const r = await runNetctl(['top', 'web', '-o', 'pid,comm'], fake);
    expect(fake.requests.find((x) => x.method === 'topContainer')?.body).toEqual({ psArgs: '-o pid,comm' });
    expect(r.stdout.split('\n')[0]).toBe('UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD');
    expect(topTable(['PID', 'COMMAND'], [['1', 'sleep 60']])).toBe('PID                 COMMAND\n1                   sleep 60');
  });

  it('container prune asks first unless -f, then lists what went and the space', async () => {
    const { fake } = await daemon();
    await runNetctl(['create', '--name', 'old', 'busybox', 'true'], fake);
    const r = await runNetctl(['container', 'prune', '-f'], fake);
    expect(r.stdout).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: 1\.024kB\n$/);
    expect(fake.containers.map((c) => c.name)).toEqual(['web']);
  });

  it('--health-* flags make Config.Healthcheck; --no-healthcheck gives NONE and excludes them', async () => {
    const { fake } = await daemon();
    await runNetctl(['create', '--name', 'hc', '--health-cmd', 'test -f /ok', '--health-interval', '2s', '--health-timeout', '500ms', '--health-retries', '4', '--health-start-period', '1m', 'busybox', 'sleep', '9'], fake);
    const body = fake.requests.filter((r) => r.method === 'createContainer').at(-1)?.body as { Healthcheck?: unknown };
    expect(body.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /ok'], Interval: 2e9, Timeout: 5e8, Retries: 4, StartPeriod: 60e9 });
    await runNetctl(['create', '--name', 'off', '--no-healthcheck', 'busybox', 'true'], fake);
    expect((fake.requests.filter((r) => r.method === 'createContainer').at(-1)?.body as { Healthcheck?: unknown }).Healthcheck).toEqual({ Test: ['NONE'] });
    const both = await runNetctl(['create', '--no-healthcheck', '--health-cmd', 'x', 'busybox', 'true'], fake);
    expect([both.code, both.stderr]).toEqual([125, expect.stringContaining('--no-healthcheck conflicts with --health-* options')]);
    expect((await runNetctl(['create', '--health-interval', '-1s', 'busybox', 'true'], fake)).stderr).toContain('--health-interval cannot be negative');
  });
});

describe('stats', () => {
  it("--no-stream prints docker's table: cpu against the host delta, memory without the inactive page cache", async () => {
    const { fake, id } = await daemon();
    const r = await runNetctl(['stats', '--no-stream'], fake);
    const [head, row] = r.stdout.trim().split('\n');
    expect(head.split(/ {3,}/)).toEqual(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS']);
    expect(row.split(/ {3,}/)).toEqual([id.slice(0, 12), 'web', '20.00%', '2MiB / 64MiB', '3.12%', '1.5kB / 500B', '4.1kB / 0B', '1']);
    expect((await runNetctl(['stats'], fake)).code).toBe(125);
  });
});

describe('cp', () => {
  let dir: string;
  beforeEach(() => (dir = fsx.mkdtempSync(join(tmpdir(), 'netctl-cp-'))));
  afterEach(() => fsx.rmSync(dir, { recursive: true, force: true }));

  it('copies a file out to a new name or into a directory, and a host tree in, renamed when the target does not exist', async () => {
    const { fake, id } = await daemon();
    expect((await runNetctl(['cp', 'web:/etc/hostname', join(dir, 'hn')], fake)).code).toBe(0);
    expect(fsx.readFileSync(join(dir, 'hn'), 'utf8')).toBe(`${id.slice(0, 12)}\n`);
    await runNetctl(['cp', 'web:/etc', dir], fake);
    expect(fsx.readFileSync(join(dir, 'etc', 'hostname'), 'utf8')).toBe(`${id.slice(0, 12)}\n`);
    fsx.mkdirSync(join(dir, 'site', 'css'), { recursive: true });
    fsx.writeFileSync(join(dir, 'site', 'css', 'a.css'), 'a{}');
    expect((await runNetctl(['cp', join(dir, 'site'), 'web:/www'], fake)).code).toBe(0);
    expect(fake.files.get(id)?.get('/www/css/a.css')).toBe('a{}');
    await runNetctl(['cp', join(dir, 'hn'), 'web:/etc'], fake);
    expect(fake.files.get(id)?.get('/etc/hn')).toBe(`${id.slice(0, 12)}\n`);
    const missing = await runNetctl(['cp', 'web:/nope', dir], fake);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('Could not find the file /nope in container web')]);
    expect((await runNetctl(['cp', join(dir, 'hn'), join(dir, 'x')], fake)).code).toBe(125);
  });
});
