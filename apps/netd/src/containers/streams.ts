import type { LogEntry } from '@app/container';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { describe } from '../http/error.filter';
import { rewriteUrl } from '../http/api-version';
import type { ContainersService } from './containers.service';
import { attachOutput, logOffset, missedOutput } from './attach-reader';
import { ConflictError } from '@app/common';
import type { AttachConnection } from '@app/container';
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
  for await (const e of entries) {
    if ((out as Duplex).destroyed) return;
    if (!out.write(encodeEntry(e, tty, timestamps))) await new Promise((r) => (out as Duplex).once('drain', r));
  }
}

/**
 * Docker's hijacked streams (attach, exec start). With `Upgrade: tcp` the answer is 101 and the
 * connection becomes the stream; without it, a 200 whose body is the stream, then close.
 */
export function hijackHead(upgrade: boolean, tty: boolean): string {
  const ct = tty ? RAW_STREAM : MULTIPLEXED_STREAM;
  return upgrade
    ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${ct}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: 1.47\r\n\r\n`
    : `HTTP/1.1 200 OK\r\nContent-Type: ${ct}\r\nApi-Version: 1.47\r\nConnection: close\r\n\r\n`;
}

function errorResponse(e: unknown): string {
  const { status, message } = describe(e);
  const body = JSON.stringify({ message });
  return `HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function readBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<unknown> {
  const len = Number(req.headers['content-length'] ?? 0);
  if (!len) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let buf = head;
    const done = () => {
      socket.off('data', onData);
      try {
        resolve(JSON.parse(buf.subarray(0, len).toString()));
      } catch {
        resolve(undefined);
      }
    };
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= len) done();
    };
    if (buf.length >= len) return done();
    socket.on('data', onData);
  });
}

/** Serve one hijacked stream on `socket`; used by the upgrade handler and by the plain routes. */
export async function serveStream(
  svc: ContainersService,
  kind: { attach: string; query: URLSearchParams } | { exec: string; body: unknown },
  socket: Duplex,
  upgrade: boolean,
  head?: Buffer,
): Promise<void> {
  try {
    if ('attach' in kind) {
      const r = await svc.find(kind.attach);
      const q = kind.query;
      const want = (k: string) => q.get(k) === '1' || q.get(k) === 'true';
      const tty = r.spec.tty ?? false;
      if (!r.state.running && r.state.status !== 'created' && r.state.status !== 'restarting' && !want('logs')) {
        throw new ConflictError('You cannot attach to a stopped container, start it first');
      }
      const streams = new Set([...(want('stdout') || (!q.has('stdout') && !q.has('stderr')) ? ['stdout'] : []), ...(want('stderr') ? ['stderr'] : [])]);
      const ctl = new AbortController();
      if (want('stdin') && r.spec.openStdin && !want('logs')) {
        // The head goes out first: the docker client starts the container only once attached.
        socket.write(hijackHead(upgrade, tty));
        svc.attachEvent(r.id, r.name.slice(1));
        socket.on('close', () => ctl.abort());
        const offset = await logOffset(svc.logPath(r.id));
        const exited = svc.wait(r.id, 'next-exit');
        const stdio = await svc.attachStdio(r.id, ctl.signal);
        const sent = await relay(stdio, socket, tty, streams, head);
        if (!socket.destroyed && (await Promise.race([exited.then(() => true, () => false), sleep(2000).then(() => false)]))) {
          for (const e of await missedOutput(svc.logPath(r.id), offset, sent)) if (streams.has(e.stream)) socket.write(encodeEntry(e, tty, false));
        }
        socket.end();
        return;
      }
      const exited = svc.wait(r.id, 'next-exit');
      socket.write(hijackHead(upgrade, tty));
      svc.attachEvent(r.id, r.name.slice(1));
      // the client half-closes when it has no stdin to send: only a full close ends the stream
      socket.on('close', () => ctl.abort());
      if (want('logs')) await pump(filterEntries(await svc.logs(r.id, {}), streams, ctl.signal), socket, tty);
      if (want('stream') || !want('logs')) await pump(filterEntries(attachOutput(svc.logPath(r.id), exited, ctl.signal), streams, ctl.signal), socket, tty);
    } else {
      const ex = await svc.execs.open(kind.exec);
      socket.write(hijackHead(upgrade, ex.tty));
      await relayExec(ex, socket);
    }
    socket.end();
  } catch (e) {
    if (!socket.destroyed) socket.end(errorResponse(e));
  }
}

/**
 * Attach with stdin: the client's bytes go to the container's stdin, its output comes back
 * (raw with a TTY, framed without). The client half-closing ends stdin (StdinOnce); the stream
 * ends when the container's stdio closes (it exited) or the client goes away.
 */
function relay(conn: AttachConnection, socket: Duplex, tty: boolean, streams: Set<string>, head?: Buffer): Promise<{ stdout: number; stderr: number }> {
  const sent = { stdout: 0, stderr: 0 };
  return new Promise((resolve) => {
    conn.onClose(() => resolve(sent));
    conn.onOutput((stream, data) => {
      sent[stream] += data.length;
      if (streams.has(stream) && !socket.destroyed) socket.write(tty ? data : frame(stream, data));
    });
    if (head && head.length > 0) conn.write(head);
    socket.on('data', (d: Buffer) => conn.write(d));
    socket.on('end', () => conn.closeStdin());
    socket.on('close', () => {
      conn.close();
      resolve(sent);
    });
  });
}

/**
 * An exec's stdio over the hijacked connection: output as the process writes it (raw with a
 * TTY, framed without), the client's bytes to its stdin when it attached stdin. The stream ends
 * once the process has exited and conmon has delivered its output (its socket closed), or when
 * the client goes away (the process keeps running, as with Docker).
 */
function relayExec(ex: OpenExec, socket: Duplex): Promise<void> {
  const { session, tty } = ex;
  const delivered = new Promise<void>((resolve) => {
    session.onClose(resolve);
    socket.on('close', () => {
      session.close();
      resolve();
    });
  });
  session.onOutput((stream, data) => {
    if (!socket.destroyed) socket.write(tty ? data : frame(stream, data));
  });
  if (ex.stdin) {
    socket.on('data', (d: Buffer) => session.write(d));
    socket.on('end', () => session.closeStdin());
  }
  ex.run();
  return ex.exited.then(async () => {
    await Promise.race([delivered, sleep(2000)]);
    // as dockerd does: the runtime's error goes down the stream, on stdout
    const failure = ex.failure();
    if (failure && !socket.destroyed) socket.write(tty ? `${failure}\r\n` : frame('stdout', `${failure}\r\n`));
  });
}

async function* filterEntries(entries: AsyncIterable<LogEntry>, streams: Set<string>, signal: AbortSignal): AsyncGenerator<LogEntry> {
  for await (const e of entries) {
    if (signal.aborted) return;
    if (streams.has(e.stream)) yield e;
  }
}

/** The http server's 'upgrade' listener: Node hands `Connection: Upgrade` requests only to it. */
export function upgradeHandler(svc: () => ContainersService | undefined, log: Logger) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const url = new URL(rewriteUrl(req), 'http://netd');
    const attach = /^\/containers\/([^/]+)\/attach\/?$/.exec(url.pathname);
    const exec = /^\/exec\/([^/]+)\/start\/?$/.exec(url.pathname);
    const service = svc();
    if (req.method !== 'POST' || (!attach && !exec) || !service) {
      socket.end(errorResponse(Object.assign(new Error('page not found'), { statusCode: 404 })));
      return;
    }
    void (async () => {
      const kind = attach
        ? { attach: decodeURIComponent(attach[1]), query: url.searchParams }
        : { exec: decodeURIComponent(exec![1]), body: await readBody(req, socket, head) };
      await serveStream(service, kind, socket, true, attach ? head : undefined);
    })().catch((e) => log.warn({ err: e }, 'hijacked stream failed'));
  };
}
