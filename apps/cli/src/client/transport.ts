import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { ConnectionError, DaemonError } from './errors';
import type { Endpoint } from './host';
import type { JsonMessage } from './engine-types';

/**
 * One HTTP request to the daemon whose body and answer are streams: tar uploads (build, load,
 * import), JSON progress streams, logs, and the hijacked connections of attach and exec start.
 */
export interface StreamRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | AsyncIterable<Uint8Array>;
  /** Ask for `Upgrade: tcp` (docker's hijack); the answer is then the raw socket. */
  upgrade?: boolean;
}

export type StreamAnswer = { kind: 'response'; res: IncomingMessage } | { kind: 'upgrade'; socket: Duplex };

export async function openRequest(ep: Endpoint, r: StreamRequest, timeoutMs: number): Promise<StreamAnswer> {
  // node:https costs ~6 ms to load; only TLS connections pay for it.
  const httpsRequest = ep.kind === 'tcp' && ep.tls ? (await import('node:https')).request : undefined;
  const headers: Record<string, string> = { 'User-Agent': 'netctl', ...r.headers };
  if (r.upgrade) Object.assign(headers, { Connection: 'Upgrade', Upgrade: 'tcp' });
  // servername '' stops node's agent from testing the host with net.isIP, whose IPv6 regex costs
  // ~4.5 ms to compile on first use; a name is only sent over TLS (node:https sets its own).
  const base: RequestOptions & { servername?: string } = { method: r.method, path: r.path, headers, timeout: timeoutMs, servername: '' };
  return new Promise((resolve, reject) => {
    let req: ClientRequest;
    try {
      if (ep.kind === 'unix') req = httpRequest({ ...base, socketPath: ep.socketPath, host: 'localhost' });
      else if (!ep.tls) req = httpRequest({ ...base, host: ep.hostname, port: ep.port });
      else if (httpsRequest) {
        const file = (p: string) => (existsSync(p) ? readFileSync(p) : undefined);
        req = httpsRequest({ ...base, servername: undefined, host: ep.hostname, port: ep.port, ca: file(ep.tls.ca), cert: file(ep.tls.cert), key: file(ep.tls.key), rejectUnauthorized: ep.tls.verify });
      } else throw new Error('unreachable: TLS endpoint without https');
    } catch (e) {
      reject(new ConnectionError(ep.url, { cause: e }));
      return;
    }
    req.on('response', (res) => {
      // long streams (logs -f, attach) must not time out while idle
      req.setTimeout(0);
      resolve({ kind: 'response', res });
    });
    req.on('upgrade', (_res, socket, head) => {
      socket.setTimeout(0);
      if (head.length) socket.unshift(head);
      resolve({ kind: 'upgrade', socket });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new ConnectionError(ep.url, { cause: e })));
    const body = r.body;
    if (body === undefined || typeof body === 'string') {
      req.end(body);
      return;
    }
    void (async () => {
      try {
        for await (const chunk of body) if (!req.write(chunk)) await new Promise((ok) => req.once('drain', ok));
        req.end();
      } catch (e) {
        req.destroy(e as Error);
      }
    })();
  });
}

/** Reads a whole answer; an error status becomes a DaemonError with the body's message. */
export function readBody(res: IncomingMessage): Promise<string> {
  // Events, not `for await`: setting up a stream's async iterator costs ~1 ms per run (bench/cli).
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      .on('error', reject)
      .on('close', () => reject(new Error('the connection closed before the answer ended')));
  });
}

export async function throwIfError(res: IncomingMessage): Promise<void> {
  const status = res.statusCode ?? 0;
  if (status < 400) return;
  throw new DaemonError(status, errorMessage(status, await readBody(res)));
}

export function errorMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through to the raw text, as docker does
  }
  return body.trim() || `status ${status}`;
}

/** Newline-delimited (or concatenated) JSON objects, as docker's json.Decoder reads them. */
export async function* jsonMessages(body: AsyncIterable<Uint8Array | string>): AsyncIterable<JsonMessage> {
  let buf = '';
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as JsonMessage;
    }
  }
  if (buf.trim()) yield JSON.parse(buf) as JsonMessage;
}
