import { DEFAULT_DETACH_KEYS, ExecStartDto, parseDetachKeys } from '@app/api/containers';
import { InvalidParameterError, NotImplementedError } from '@app/common';
import type { AttachConnection, LogEntry } from '@app/container';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { API_VERSION, VERSION_PROBLEM, rewriteUrl } from '../http/api-version';
import { describe } from '../http/error.filter';
import { BODY_LIMIT, LINGER_MS, STREAM_BUFFER_LIMIT, UPGRADE_BODY_TIMEOUT_MS } from '../http/limits';
import { notImplementedMessage, unimplementedEndpoint } from '../http/not-implemented';
import { OPEN_STREAMS } from '../http/open-streams';
import { parseBody } from '../http/parse-body';
import { givenTwice } from '../http/query';
import { attachOutput, logOffset, missedOutput } from './attach-reader';
import type { ContainersService } from './containers.service';
import type { OpenExec } from './exec-registry';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

/** One stdcopy frame: stream byte (1 stdout, 2 stderr), three zero bytes, big-endian length. */
export function frame(stream: 'stdout' | 'stderr', data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const head = Buffer.alloc(8);
  head[0] = stream === 'stdout' ? 1 : 2;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** Log entries as the wire wants them: framed without a TTY, raw with one. */
export function encodeEntry(e: LogEntry, tty: boolean, timestamps: boolean): Buffer {
  const text = timestamps ? `${e.time} ${e.text}` : e.text;
  return tty ? Buffer.from(text) : frame(e.stream, text);
}

/** Write a stream of entries to a socket, stopping early if the peer goes away. */
export async function pump(entries: AsyncIterable<LogEntry>, out: Duplex | NodeJS.WritableStream, tty: boolean, timestamps = false): Promise<void> {
  const sink = out as Duplex;
  for await (const e of entries) {
    if (sink.destroyed) return;
    if (!sink.write(encodeEntry(e, tty, timestamps))) {
      // a client that stops reading holds the stream here, not the daemon's memory; one that goes away ends it
      await new Promise<void>((r) => {
        const done = () => {
          sink.off('drain', done);
          sink.off('close', done);
          r();
        };
        sink.once('drain', done);
        sink.once('close', done);
      });
    }
  }
}

/**
 * Docker's hijacked streams (attach, exec start). With `Upgrade: tcp` the answer is 101 and the
 * connection becomes the stream; without it, a 200 whose body is the stream, then close.
 */
export function hijackHead(upgrade: boolean, tty: boolean): string {
  const ct = tty ? RAW_STREAM : MULTIPLEXED_STREAM;
  return upgrade
    ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${ct}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${API_VERSION}\r\n\r\n`
    : `HTTP/1.1 200 OK\r\nContent-Type: ${ct}\r\nApi-Version: ${API_VERSION}\r\nConnection: close\r\n\r\n`;
}

function errorResponse(e: unknown): string {
  const { status, message } = describe(e);
  const body = JSON.stringify({ message });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nApi-Version: ${API_VERSION}\r\nConnection: close\r\n\r\n${body}`;
}

/** An error that carries its HTTP status (what describe() turns into the answer). */
function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

/**
 * Answer a refused hijack request and close. What the client still sends is read and dropped
 * (a client that is still writing would otherwise never see the answer), and one that never
 * reads the answer is dropped after `lingerMs` instead of holding its descriptor.
 */
function refuse(socket: Duplex, e: unknown, lingerMs: number): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.removeAllListeners('data');
  socket.resume();
  socket.end(errorResponse(e));
}

/** End a stream; a client that keeps its side open afterwards is dropped after `lingerMs`. */
function endStream(socket: Duplex, lingerMs: number): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Write to a stream client; one that stops reading is dropped once STREAM_BUFFER_LIMIT bytes
 * wait for it (conmon drops a stalled attach socket too), so it cannot pin the daemon's memory.
 */
function send(socket: Duplex, data: Buffer | string): void {
  if (socket.destroyed) return;
  socket.write(data);
  if (socket.writableLength > STREAM_BUFFER_LIMIT) socket.destroy();
}

/** The route of a hijack request, with its id decoded exactly once. */
export type StreamRoute = { attach: string; query: URLSearchParams } | { exec: string };

const ATTACH_QUERY = ['stream', 'stdin', 'stdout', 'stderr', 'logs', 'detachKeys'];

/**
 * Where a `Connection: Upgrade` request goes, from its method and raw target (after the
 * `/vX.Y` prefix). Throws a 400 for a target that is not a path (or a valid absolute URL), bad
 * percent-encoding or a repeated query parameter, a 404 for anything but the two hijack routes.
 */
export function streamRoute(method: string | undefined, target: string): StreamRoute {
  let path = target;
  if (!target.startsWith('/')) {
    // absolute-form (`http://host/path`), which Go's server accepts: validate, then keep the raw path
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    if (!m || !URL.canParse(target)) throw httpError(400, `invalid request target: ${target.slice(0, 200)}`);
    path = target.slice(m[0].length) || '/';
  }
  const q = path.indexOf('?');
  const rawQuery = q >= 0 ? path.slice(q + 1) : '';
  path = q >= 0 ? path.slice(0, q) : path;
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw httpError(400, `'${path.slice(0, 200)}' is not a valid url component`);
    }
  };
  const attach = /^\/containers\/([^/]+)\/attach\/?$/.exec(path);
  const exec = /^\/exec\/([^/]+)\/start\/?$/.exec(path);
  if (method !== 'POST' || (!attach && !exec)) {
    // BuildKit's `POST /session` arrives as an upgrade
    const endpoint = unimplementedEndpoint(method ?? '', path);
    throw endpoint ? new NotImplementedError(notImplementedMessage(endpoint)) : httpError(404, 'page not found');
  }
  if (exec) return { exec: decode(exec[1]) };
  const query = attachQuery(rawQuery);
  return { attach: decode(attach![1]), query };
}

/** The query of an attach; a parameter given twice is ambiguous and refused, as on every other route. */
export function attachQuery(rawQuery: string): URLSearchParams {
  const query = new URLSearchParams(rawQuery);
  for (const k of ATTACH_QUERY) {
    if (query.getAll(k).length > 1) throw givenTwice(k);
  }
  return query;
}

export interface UpgradeOptions {
  bodyLimit?: number;
  bodyTimeoutMs?: number;
  lingerMs?: number;
}

/**
 * The body of a hijack request, read off the raw socket (Node hands an upgrade request over
 * before its body): bounded by `limit` (413 from Content-Length alone, nothing buffered), by
 * time (408), and JSON (400). Returns the bytes that followed the body too: the client's
 * first stdin bytes.
 */
export function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer, limit: number, timeoutMs: number): Promise<{ body: unknown; rest: Buffer }> {
  if (req.headers['transfer-encoding'] !== undefined) {
    return Promise.reject(httpError(400, 'a hijack request body needs a Content-Length (Transfer-Encoding is not supported here)'));
  }
  const declared = req.headers['content-length'];
  if (declared === undefined) return Promise.resolve({ body: undefined, rest: head });
  if (!/^\d{1,15}$/.test(declared)) return Promise.reject(httpError(400, 'invalid Content-Length'));
  const len = Number(declared);
  if (len > limit) return Promise.reject(httpError(413, 'Request body is too large'));
  return new Promise((resolve, reject) => {
    let buf = head;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      if (err) return reject(err);
      const text = buf.subarray(0, len).toString('utf8');
      const rest = buf.subarray(len);
      if (text.trim() === '') return resolve({ body: undefined, rest });
      try {
        resolve({ body: JSON.parse(text), rest });
      } catch (e) {
        reject(httpError(400, `invalid JSON: ${(e as Error).message}`));
      }
    };
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= len) finish();
    };
    const onEnd = () => finish(httpError(400, 'the request body ended before its Content-Length'));
    const timer = setTimeout(() => finish(httpError(408, `the request body did not arrive within ${timeoutMs / 1000} s`)), timeoutMs);
    if (buf.length >= len) return finish();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}

/** Serve one hijacked stream on `socket`; used by the upgrade handler and by the plain routes. */
export async function serveStream(
  svc: ContainersService,
  kind: { attach: string; query: URLSearchParams } | { exec: string; start?: ExecStartDto },
  socket: Duplex,
  upgrade: boolean,
  head?: Buffer,
  lingerMs = LINGER_MS,
): Promise<void> {
  // once the head went out the connection is the stream: an error can only end it
  let started = false;
  const begin = (tty: boolean) => {
    started = true;
    socket.write(hijackHead(upgrade, tty));
  };
  const untrack = OPEN_STREAMS.track(() => endStream(socket, lingerMs));
  try {
    if ('attach' in kind) {
      const r = await svc.find(kind.attach);
      const q = kind.query;
      const want = (k: string) => q.get(k) === '1' || q.get(k) === 'true';
      const tty = r.spec.tty ?? false;
      // dockerd attaches to a container in any state but paused or restarting: a stream on a
      // created or exited one carries its next run (`docker start -a`, compose's attach-then-start);
      // "You cannot attach to a stopped container" is the docker CLI's own check in `docker attach`
      const idle = !r.state.running && r.state.status !== 'created' && r.state.status !== 'restarting';
      const detachText = q.get('detachKeys');
      const keys = detachText ? parseDetachKeys(detachText) : DEFAULT_DETACH_KEYS;
      if (!keys) throw new InvalidParameterError(`Invalid detach keys (${detachText!.slice(0, 256)}) provided`);
      const streams = new Set([...(want('stdout') || (!q.has('stdout') && !q.has('stderr')) ? ['stdout'] : []), ...(want('stderr') ? ['stderr'] : [])]);
      const ctl = new AbortController();
      socket.on('close', () => ctl.abort());
      if (want('stdin') && r.spec.openStdin && !want('logs')) {
        // The head goes out first: the docker client starts the container only once attached.
        begin(tty);
        svc.attachEvent(r.id, r.name.slice(1));
        const offset = await logOffset(svc.logPath(r.id));
        const exited = svc.wait(r.id, 'next-exit');
        const stdio = await svc.attachStdio(r.id, ctl.signal);
        const sent = await relay(stdio, socket, tty, streams, keys, head);
        if (!socket.destroyed && (await Promise.race([exited.then(() => true, () => false), sleep(2000).then(() => false)]))) {
          for (const e of await missedOutput(svc.logPath(r.id), offset, sent)) if (streams.has(e.stream)) send(socket, encodeEntry(e, tty, false));
        }
        endStream(socket, lingerMs);
        return;
      }
      const exited = svc.wait(r.id, 'next-exit');
      begin(tty);
      svc.attachEvent(r.id, r.name.slice(1));
      // the client half-closes when it has no stdin to send: only a full close ends the stream
      if (want('logs')) await pump(filterEntries(await svc.logs(r.id, {}), streams, ctl.signal), socket, tty);
      if (idle && !want('stream')) {
        // without stream dockerd answers with the logs asked for and ends
        endStream(socket, lingerMs);
        return;
      }
      if (want('stream') || !want('logs')) await pump(filterEntries(attachOutput(svc.logPath(r.id), exited, ctl.signal), streams, ctl.signal), socket, tty);
    } else {
      const start = kind.start ?? {};
      if (start.ConsoleSize) await svc.execs.resize(kind.exec, start.ConsoleSize[0], start.ConsoleSize[1]);
      if (start.Detach) {
        await svc.execs.startDetached(kind.exec);
        started = true;
        socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 0\r\nApi-Version: ${API_VERSION}\r\nConnection: close\r\n\r\n`);
        return;
      }
      const ex = await svc.execs.open(kind.exec);
      const framing = start.Tty ?? ex.tty;
      begin(framing);
      await relayExec(ex, socket, framing, head);
    }
    endStream(socket, lingerMs);
  } catch (e) {
    if (!started) refuse(socket, e, lingerMs);
    else endStream(socket, lingerMs);
  } finally {
    untrack();
  }
}

/**
 * Docker's escape proxy on a TTY session's stdin: bytes that may start the detach sequence are
 * held back until they either complete it (the client detaches; the process keeps running) or
 * turn out to be input.
 */
export class DetachKeys {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /** What to pass to the process, and whether the sequence completed (the rest is dropped). */
  push(data: Buffer): { pass: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of data) {
      if (b !== this.keys[this.matched] && this.matched > 0) {
        out.push(...this.keys.subarray(0, this.matched));
        this.matched = 0;
      }
      if (b === this.keys[this.matched]) {
        this.matched += 1;
        if (this.matched === this.keys.length) return { pass: Buffer.from(out), detach: true };
        continue;
      }
      out.push(b);
    }
    return { pass: Buffer.from(out), detach: false };
  }
}

/**
 * Relay the client's stdin bytes to `write`, through the detach sequence when there is one. The
 * client is paused until each chunk was flushed to the container's stdin: one that sends more
 * than the process reads is held back by the socket, not buffered in the daemon.
 */
function forwardStdin(socket: Duplex, write: (d: Buffer, flushed: () => void) => void, keys: Buffer | undefined, first?: Buffer): void {
  const proxy = keys ? new DetachKeys(keys) : undefined;
  const pass = (d: Buffer) => {
    if (d.length === 0) return;
    socket.pause();
    write(d, () => {
      if (!socket.destroyed) socket.resume();
    });
  };
  const onData = (d: Buffer) => {
    if (!proxy) return pass(d);
    const { pass: out, detach } = proxy.push(d);
    pass(out);
    if (detach) {
      socket.off('data', onData);
      endStream(socket, LINGER_MS);
    }
  };
  if (first && first.length > 0) onData(first);
  socket.on('data', onData);
}

/**
 * Attach with stdin: the client's bytes go to the container's stdin, its output comes back
 * (raw with a TTY, framed without). The client half-closing ends stdin (StdinOnce); the stream
 * ends when the container's stdio closes (it exited) or the client goes away.
 */
function relay(conn: AttachConnection, socket: Duplex, tty: boolean, streams: Set<string>, keys: Buffer | undefined, head?: Buffer): Promise<{ stdout: number; stderr: number }> {
  const sent = { stdout: 0, stderr: 0 };
  return new Promise((resolve) => {
    conn.onClose(() => resolve(sent));
    conn.onOutput((stream, data) => {
      sent[stream] += data.length;
      if (streams.has(stream)) send(socket, tty ? data : frame(stream, data));
    });
    forwardStdin(socket, (d, flushed) => conn.write(d, flushed), tty ? keys : undefined, head);
    socket.on('end', () => conn.closeStdin());
    socket.on('close', () => {
      conn.close();
      resolve(sent);
    });
  });
}

/**
 * An exec's stdio over the hijacked connection: output as the process writes it (raw when
 * `tty`, framed without), the client's bytes to its stdin when it attached stdin. The stream ends
 * once the process has exited and conmon has delivered its output (its socket closed), or when
 * the client goes away or detaches (the process keeps running, as with Docker).
 */
function relayExec(ex: OpenExec, socket: Duplex, tty: boolean, head?: Buffer): Promise<void> {
  const { session } = ex;
  const delivered = new Promise<void>((resolve) => {
    session.onClose(resolve);
    socket.on('close', () => {
      session.close();
      resolve();
    });
  });
  const gone = new Promise<void>((resolve) => socket.once('close', resolve));
  session.onOutput((stream, data) => send(socket, tty ? data : frame(stream, data)));
  if (ex.stdin) {
    forwardStdin(socket, (d, flushed) => session.write(d, flushed), ex.tty ? ex.detachKeys : undefined, head);
    socket.on('end', () => session.closeStdin());
  }
  ex.run();
  // a client that went away (or detached) does not wait for the process
  return Promise.race([gone, ex.exited]).then(async () => {
    if (socket.destroyed) return;
    await Promise.race([delivered, sleep(2000)]);
    // as dockerd does: the runtime's error goes down the stream, on stdout
    const failure = ex.failure();
    if (failure) send(socket, tty ? `${failure}\r\n` : frame('stdout', `${failure}\r\n`));
  });
}

async function* filterEntries(entries: AsyncIterable<LogEntry>, streams: Set<string>, signal: AbortSignal): AsyncGenerator<LogEntry> {
  for await (const e of entries) {
    if (signal.aborted) return;
    if (streams.has(e.stream)) yield e;
  }
}

/**
 * The http server's 'upgrade' listener: Node hands `Connection: Upgrade` requests only to it,
 * already detached from the HTTP machinery, so everything Fastify does for other routes (API
 * version, limits, answering errors) happens here. Nothing may throw out of it: an exception
 * in an 'upgrade' listener ends the process.
 */
export function upgradeHandler(svc: () => ContainersService | undefined, log: Logger, opts: UpgradeOptions = {}) {
  const limit = opts.bodyLimit ?? BODY_LIMIT;
  const timeoutMs = opts.bodyTimeoutMs ?? UPGRADE_BODY_TIMEOUT_MS;
  const lingerMs = opts.lingerMs ?? LINGER_MS;
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    void (async () => {
      const target = rewriteUrl(req);
      const problem = (req as unknown as Record<symbol, string | undefined>)[VERSION_PROBLEM];
      if (problem) throw httpError(400, problem);
      const route = streamRoute(req.method, target);
      const service = svc();
      if (!service) throw httpError(404, 'page not found');
      // the body is read (and bounded) for attach too: its bytes must not become stdin
      const { body, rest } = await readUpgradeBody(req, socket, head, limit, timeoutMs);
      if ('attach' in route) return serveStream(service, route, socket, true, rest, lingerMs);
      const start = body === undefined ? undefined : parseBody(ExecStartDto, body);
      return serveStream(service, { exec: route.exec, start }, socket, true, rest, lingerMs);
    })().catch((e: unknown) => {
      log.debug({ err: e, url: req.url?.slice(0, 200) }, 'hijack request refused');
      try {
        refuse(socket, e, lingerMs);
      } catch {
        socket.destroy();
      }
    });
  };
}
