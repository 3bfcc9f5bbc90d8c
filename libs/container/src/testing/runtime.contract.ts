import { generateId } from '@app/common';
import type { AttachConnection, Runtime, RuntimeCreateSpec } from '../runtime.port';
import { eventually } from '@app/common/testing';

/** What a contract run needs from an implementation. */
export interface RuntimeHarness {
  readonly runtime: Runtime;
  /** Prepare whatever `create` needs for a container running `args` (bundle, layers). */
  prepare(id: string, args: readonly string[]): Promise<RuntimeCreateSpec>;
  /** Remove everything the harness made, even after failures. */
  dispose(): Promise<void>;
}

const LONG = ['sleep', '1000'];

/**
 * What execSession tests run; a fake harness answers it with stdout `out\n`, stderr `err\n`
 * and exit code 3, as the real shell does.
 */
export const EXEC_PROGRAM = ['sh', '-c', 'echo out; echo err >&2; exit 3'];

/**
 * The Runtime contract, run against FakeRuntime (unit) and RuncRuntime (root integration), so
 * the fake keeps the real runtime's states and error kinds.
 */
export function describeRuntimeContract(name: string, setup: () => Promise<RuntimeHarness>): void {
  describe(`Runtime contract: ${name}`, () => {
    let h: RuntimeHarness;
    const made: string[] = [];
    const fresh = async (args = LONG, extra: Partial<RuntimeCreateSpec> = {}) => {
      const id = generateId();
      made.push(id);
      await h.runtime.create({ ...(await h.prepare(id, args)), ...extra });
      return id;
    };

    beforeEach(async () => {
      h = await setup();
    });
    afterEach(async () => {
      for (const id of made.splice(0)) await h.runtime.delete(id, { force: true }).catch(() => undefined);
      await h.dispose();
    });

    it('creates a container in status created with a pid', async () => {
      const id = await fresh();
      const s = await h.runtime.state(id);
      expect(s).toMatchObject({ id, status: 'created' });
      expect(s!.pid).toBeGreaterThan(0);
      expect((await h.runtime.list()).map((c) => c.id)).toContain(id);
    });

    it('starts a created container', async () => {
      const id = await fresh();
      await h.runtime.start(id);
      expect(await h.runtime.state(id)).toMatchObject({ status: 'running' });
      await expect(h.runtime.start(id)).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('reports the exit of a killed container as 128 + signal', async () => {
      const id = await fresh();
      await h.runtime.start(id);
      const exited = h.runtime.waitExit(id);
      await h.runtime.kill(id, 'SIGKILL');
      expect((await exited).exitCode).toBe(137);
      expect(await h.runtime.readExit(id)).toMatchObject({ exitCode: 137 });
      expect(await h.runtime.state(id)).toMatchObject({ status: 'stopped', pid: 0 });
      await expect(h.runtime.kill(id, 'SIGTERM')).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('refuses to delete a running container without force, and deletes it with force', async () => {
      const id = await fresh();
      await h.runtime.start(id);
      await expect(h.runtime.delete(id)).rejects.toMatchObject({ kind: 'conflict' });
      await h.runtime.delete(id, { force: true });
      expect(await h.runtime.state(id)).toBeUndefined();
      await expect(h.runtime.delete(id)).rejects.toMatchObject({ kind: 'not-found' });
    });

    it('answers NotFound for unknown ids and Conflict for a duplicate create', async () => {
      const unknown = generateId();
      await expect(h.runtime.start(unknown)).rejects.toMatchObject({ kind: 'not-found' });
      await expect(h.runtime.kill(unknown, 'SIGTERM')).rejects.toMatchObject({ kind: 'not-found' });
      expect(await h.runtime.state(unknown)).toBeUndefined();
      const id = await fresh();
      await expect(h.runtime.create(await h.prepare(id, LONG))).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('adopt reports running, exited (with code) and missing containers', async () => {
      const running = await fresh();
      await h.runtime.start(running);
      const stopped = await fresh();
      await h.runtime.start(stopped);
      const exited = h.runtime.waitExit(stopped);
      await h.runtime.kill(stopped, 'SIGKILL');
      await exited;
      const missing = generateId();
      const got = await h.runtime.adopt([running, stopped, missing]);
      expect(got).toEqual([
        { id: running, status: 'running', pid: expect.any(Number) },
        { id: stopped, status: 'exited', pid: 0, exit: { exitCode: 137, finishedAt: expect.any(Date) } },
        { id: missing, status: 'missing', pid: 0 },
      ]);
    });

    it('attach: stdin reaches the process, its output comes back, closing stdin (stdinOnce) ends it', async () => {
      const id = await fresh(['cat'], { stdin: true, stdinOnce: true });
      const conn = await h.runtime.attach(id);
      const closed = new Promise<void>((r) => conn.onClose(r));
      const got = collect(conn);
      await h.runtime.start(id);
      const exited = h.runtime.waitExit(id);
      conn.write(Buffer.from('hello\n'));
      await eventually('hello on stdout', () => got.stdout.includes('hello\n'), 5000, 10);
      conn.closeStdin();
      expect((await exited).exitCode).toBe(0);
      await closed;
      expect(got).toEqual({ stdout: 'hello\n', stderr: '' });
    });

    it('execSession: nothing runs before start, then stdout and stderr stream apart and the exit code follows', async () => {
      const id = await fresh();
      await h.runtime.start(id);
      const ex = await h.runtime.execSession(id, { args: EXEC_PROGRAM, tty: false, stdin: false });
      const closed = new Promise<void>((r) => ex.onClose(r));
      const got = collect(ex);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual({ stdout: '', stderr: '' });
      ex.start();
      expect(await ex.exited).toBe(3);
      await closed;
      expect(got).toEqual({ stdout: 'out\n', stderr: 'err\n' });
    });

    it('execSession with a tty: one raw stream on stdout, and the console can be resized', async () => {
      const id = await fresh();
      await h.runtime.start(id);
      const ex = await h.runtime.execSession(id, { args: EXEC_PROGRAM, tty: true, stdin: false });
      const closed = new Promise<void>((r) => ex.onClose(r));
      const got = collect(ex);
      await ex.resize(30, 100);
      ex.start();
      expect(await ex.exited).toBe(3);
      await closed;
      expect(got.stdout).toContain('out');
      expect(got.stdout).toContain('err');
      expect(got.stderr).toBe('');
    });

    it('execSession: NotFound for unknown ids, Conflict unless running', async () => {
      await expect(h.runtime.execSession(generateId(), { args: EXEC_PROGRAM, tty: false, stdin: false })).rejects.toMatchObject({ kind: 'not-found' });
      const id = await fresh();
      await expect(h.runtime.execSession(id, { args: EXEC_PROGRAM, tty: false, stdin: false })).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('attach and resize: NotFound for unknown ids, Conflict once stopped', async () => {
      const unknown = generateId();
      await expect(h.runtime.attach(unknown)).rejects.toMatchObject({ kind: 'not-found' });
      await expect(h.runtime.resize(unknown, 24, 80)).rejects.toMatchObject({ kind: 'not-found' });
      const id = await fresh();
      await h.runtime.start(id);
      const exited = h.runtime.waitExit(id);
      await h.runtime.kill(id, 'SIGKILL');
      await exited;
      await expect(h.runtime.attach(id)).rejects.toMatchObject({ kind: 'conflict' });
      await expect(h.runtime.resize(id, 24, 80)).rejects.toMatchObject({ kind: 'conflict' });
    });
  });
}

function collect(conn: AttachConnection): { stdout: string; stderr: string } {
  const got = { stdout: '', stderr: '' };
  conn.onOutput((stream, data) => (got[stream] += data.toString()));
  return got;
}
