import { NotFoundError } from '@app/common';
import { eventually } from '@app/common/testing';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ContainersService } from './containers.service';
import { upgradeHandler } from './streams';
import { raw } from '../testing/raw-http';

/** What a raw client saw: the status line's code (0 if none), the whole text, and whether the server closed. */

/**
 * Poll the server's connection count until it is `want` or `ms` pass; the count seen last. A fixed
 * sleep just past the linger time failed on a loaded machine.
 */
async function connectionsWithin(count: () => Promise<number>, want: number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  for (;;) {
    const n = await count();
    if (n === want || Date.now() > end) return n;
    await new Promise((r) => setTimeout(r, 50));
  }
}


const upgrade = (method: string, target: string, extra = '') =>
  `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${extra}\r\n`;

/** What a test exec saw of its client: stdin bytes taken, and the output hook. */
const execs = { stdinTaken: 0, draining: false, held: [] as (() => void)[], output: undefined as undefined | ((stream: 'stdout' | 'stderr', data: Buffer) => void) };

/** An exec that runs until the client goes: `sink` never flushes its stdin (a process that does not read), `flood` writes output on demand. */
function fakeExec(id: string) {
  return {
    tty: false,
    stdin: true,
    detachKeys: Buffer.from([16, 17]),
    session: {
      onOutput: (cb: (stream: 'stdout' | 'stderr', data: Buffer) => void) => void (execs.output = cb),
      onClose: (cb: () => void) => void (id === 'quick' && setImmediate(cb)),
      write: (d: Buffer, flushed?: () => void) => {
        execs.stdinTaken += d.length;
        if (id !== 'sink' || execs.draining) flushed?.();
        else if (flushed) execs.held.push(flushed);
      },
      closeStdin: () => undefined,
      close: () => undefined,
    },
    run: () => undefined,
    exited: id === 'quick' ? Promise.resolve(0) : new Promise<number>(() => undefined),
    failure: () => undefined,
  };
}

describe('hijack (Upgrade) requests from a hostile client', () => {
  let dir: string;
  let sock: string;
  let server: Server;
  let asked: string[];
  let crashed: unknown[];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netd-upgrade-'));
    sock = join(dir, 's');
    asked = [];
    crashed = [];
    const svc = {
      find: async (id: string) => {
        asked.push(`attach ${id}`);
        throw new NotFoundError(`No such container: ${id}`);
      },
      execs: {
        get: (id: string) => {
          asked.push(`exec ${id}`);
          throw new NotFoundError(`No such exec instance: ${id}`);
        },
        open: async (id: string) => {
          asked.push(`exec ${id}`);
          if (id === 'sink' || id === 'flood' || id === 'quick') return fakeExec(id);
          throw new NotFoundError(`No such exec instance: ${id}`);
        },
      },
    } as unknown as ContainersService;
    server = createServer();
    server.on('connection', (c: Socket) => sockets.add(c));
    // a throw out of the listener is an uncaught exception: the daemon would exit
    const handler = upgradeHandler(() => svc, pino({ level: 'silent' }), { bodyTimeoutMs: 300, lingerMs: 500 });
    server.on('upgrade', (req, socket, head) => {
      try {
        handler(req, socket, head);
      } catch (e) {
        crashed.push(e);
        socket.destroy();
      }
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });

  afterAll(async () => {
    // hijacked connections are the server's no more: a half-open exec stream stays until its process ends
    for (const c of sockets) c.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    asked = [];
    crashed = [];
  });

  it.each(['http://x:99999/exec/a/start', 'http://[/exec/a/start', 'http://%/exec/a/start', '*'])(
    'answers the target %s with 400 instead of throwing', async (target) => {
      const seen = await raw(sock, upgrade('POST', target, 'Content-Length: 0\r\n'));
      expect(crashed).toEqual([]);
      expect(seen).toMatchObject({ status: 400, closed: true });
      expect(seen.text).toContain('"message"');
      expect(asked).toEqual([]);
    });

  it('serves a well-formed absolute-form target by its path, as Go servers do', async () => {
    const seen = await raw(sock, upgrade('POST', 'http://x/exec/a%2525/start', 'Content-Length: 0\r\n'));
    expect(seen).toMatchObject({ status: 404, closed: true });
    expect(asked).toEqual(['exec a%25']);
  });

  it.each(['/exec/%E0%A4%A/start', '/containers/%E0%A4%A/attach', '/containers/%/attach?stream=1', '/v1.47/exec/%zz/start'])(
    'answers bad percent-encoding in %s with 400 and closes', async (target) => {
      const seen = await raw(sock, upgrade('POST', target, 'Content-Length: 0\r\n'));
      expect(seen).toMatchObject({ status: 400, closed: true });
      expect(seen.text).toContain('is not a valid url component');
      expect(asked).toEqual([]);
    });

  it('decodes the id exactly once', async () => {
    await raw(sock, upgrade('POST', '/exec/a%2525b/start', 'Content-Length: 2\r\n') + '{}');
    await raw(sock, upgrade('POST', '/v1.47/containers/c%2525d/attach?stream=1'));
    expect(asked).toEqual(['exec a%25b', 'attach c%25d']);
  });

  it('answers a refused API version with its 400, like every other route', async () => {
    const seen = await raw(sock, upgrade('POST', '/v1.99/exec/a/start', 'Content-Length: 0\r\n'));
    expect(seen.status).toBe(400);
    expect(seen.text).toContain('client version 1.99 is too new');
  });

  it('times out a declared body that never arrives, answers 408 and closes', async () => {
    const t0 = Date.now();
    const seen = await raw(sock, upgrade('POST', '/exec/a/start', 'Content-Length: 100\r\n') + '{"Detach":', 3000);
    expect(seen).toMatchObject({ status: 408, closed: true });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(asked).toEqual([]);
  });

  it('refuses a body over the limit from its Content-Length with 413, before reading it', async () => {
    const seen = await raw(sock, upgrade('POST', '/exec/a/start', `Content-Length: ${50 * 1024 * 1024}\r\n`));
    expect(seen).toMatchObject({ status: 413, closed: true });
    expect(asked).toEqual([]);
  });

  it('refuses a chunked body (no length to bound it by) with 400', async () => {
    const seen = await raw(sock, upgrade('POST', '/exec/a/start', 'Transfer-Encoding: chunked\r\n') + '2\r\n{}\r\n0\r\n\r\n');
    expect(seen).toMatchObject({ status: 400, closed: true });
    expect(asked).toEqual([]);
  });

  it.each(['{', 'null x', '"\u0000', '[1,2]', '{"Detach":"yes"}', '{"ConsoleSize":[1]}'])('answers the bad body %j with 400', async (body) => {
    const seen = await raw(sock, upgrade('POST', '/exec/a/start', `Content-Length: ${Buffer.byteLength(body)}\r\n`) + body);
    expect(seen).toMatchObject({ status: 400, closed: true });
    expect(asked).toEqual([]);
  });

  it('answers an unknown exec with its 404', async () => {
    const seen = await raw(sock, upgrade('POST', '/exec/nope/start', 'Content-Length: 15\r\n') + '{"Detach":false}'.slice(0, 15));
    expect(seen.status).toBe(400);
    const ok = await raw(sock, upgrade('POST', '/exec/nope/start', 'Content-Length: 16\r\n') + '{"Detach":false}');
    expect(ok).toMatchObject({ status: 404, closed: true });
    expect(ok.text).toContain('No such exec instance: nope');
  });

  it.each([
    ['GET', '/exec/a/start'], ['HEAD', '/containers/a/attach'], ['POST', '/_ping'], ['POST', '/containers/a/attach/extra'], ['PUT', '/containers/a/attach'],
  ])('answers %s %s with 404', async (method, target) => {
    const seen = await raw(sock, upgrade(method, target));
    expect(seen).toMatchObject({ status: 404, closed: true });
    expect(asked).toEqual([]);
  });

  // a 501 built as a plain error with a statusCode became "internal server error" (500)
  it.each([['GET', '/containers/a/attach/ws'], ['POST', '/session'], ['POST', '/v1.41/session']])('answers %s %s, a Docker endpoint netd lacks, with 501', async (method, target) => {
    const seen = await raw(sock, upgrade(method, target));
    expect(seen).toMatchObject({ status: 501, closed: true });
    expect(seen.text).toMatch(/is not implemented by netd/);
    expect(asked).toEqual([]);
  });

  it('refuses an attach query parameter given twice', async () => {
    const seen = await raw(sock, upgrade('POST', '/containers/a/attach?stdin=1&stdin=0&stream=1'));
    expect(seen).toMatchObject({ status: 400, closed: true });
    expect(seen.text).toContain('query parameter stdin must be given once');
  });

  it('drops a refused client that never reads once the answer has lingered', async () => {
    const count = () => new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    const s = connect(sock);
    s.on('error', () => undefined);
    s.pause();
    s.write(upgrade('POST', '/exec/%E0/start'));
    await new Promise((r) => setTimeout(r, 100));
    expect(await count()).toBe(1);
    // it never reads and never closes; the server gives up on it after lingerMs (500)
    expect(await connectionsWithin(count, 0, 5000)).toBe(0);
    s.destroy();
  });

  const count = () => new Promise<number>((r) => server.getConnections((_e, n) => r(n)));

  it('holds back a client whose stdin the process does not read, instead of buffering it', async () => {
    execs.stdinTaken = 0;
    const s = connect(sock);
    s.on('error', () => undefined);
    const head = new Promise<void>((r) => s.once('data', () => r()));
    s.write(upgrade('POST', '/exec/sink/start', 'Content-Length: 2\r\n') + '{}');
    await head;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 20; i++) s.write(chunk);
    // one chunk reaches the process and is never flushed; the rest waits in the client's socket
    // (polled, not a fixed sleep: on a loaded machine the first chunk can take longer than 500 ms)
    await eventually('the first stdin chunk to reach the process', () => execs.stdinTaken > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(execs.stdinTaken).toBeLessThan(2 * 1024 * 1024);
    // the process reads at last: the relay resumes and passes the rest on
    execs.draining = true;
    for (const f of execs.held.splice(0)) f();
    await eventually('all 20 MB of stdin to reach the process', () => execs.stdinTaken === 20 * 1024 * 1024, 10_000);
    s.destroy();
  });

  it('drops a client that does not read the output once the bound is queued', async () => {
    const s = connect(sock);
    s.on('error', () => undefined);
    const head = new Promise<void>((r) => s.once('data', () => r()));
    s.write(upgrade('POST', '/exec/flood/start', 'Content-Length: 2\r\n') + '{}');
    await head;
    s.pause();
    const before = await count();
    const chunk = Buffer.alloc(1024 * 1024, 0x62);
    for (let i = 0; i < 20; i++) execs.output!('stdout', chunk);
    await new Promise((r) => setTimeout(r, 200));
    expect(await count()).toBe(before - 1);
    s.destroy();
  });

  it('drops a client that keeps its side open once the stream has ended', async () => {
    const before = await count();
    const s = connect({ path: sock, allowHalfOpen: true });
    s.on('error', () => undefined);
    const ended = new Promise<void>((r) => s.once('end', () => r()));
    s.on('data', () => undefined);
    s.write(upgrade('POST', '/exec/quick/start', 'Content-Length: 2\r\n') + '{}');
    await ended;
    // the client never closes its side; the server does, after lingerMs (500)
    expect(await connectionsWithin(count, before, 5000)).toBe(before);
    s.destroy();
  });
});
