import type { DnsRecords, DnsStatsSnapshot } from '@app/dns';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

/**
 * The control channel between netd and its DNS resolver process: newline-delimited JSON over a
 * unix socket under the exec root, one request at a time per connection, each answered by one
 * reply with the same `id`.
 *
 * - `hello` → `{ version, pid }`: netd adopts a resolver whose version is its own and replaces
 *   any other (an upgraded netd never talks to an old resolver).
 * - `sync` → `{ failed }`: the whole state (records and the sandboxes to serve, with their
 *   namespace paths). Idempotent: the resolver keeps the sockets of sandboxes it already serves
 *   in the same namespace, opens the new ones and closes the ones no longer named. `failed`
 *   says which sandboxes could not be served, and why.
 * - `shutdown` → `{}`: close every socket and exit (netd switched to the inline DNS).
 * - `stats` → `{ stats }`: the resolver's query counters, for netd's /metrics. Answered at once,
 *   not queued behind a sync (a scrape must not wait for a large state to be applied).
 */
export type ResolverRequest =
  | { readonly id: number; readonly op: 'hello' }
  | ({ readonly id: number; readonly op: 'sync' } & ResolverState)
  | { readonly id: number; readonly op: 'shutdown' }
  | { readonly id: number; readonly op: 'stats' };

/** A request as the caller writes it; the connection numbers it. */
export type RequestBody = ResolverRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export type ResolverReply =
  | { readonly id: number; readonly ok: true; readonly version?: string; readonly pid?: number; readonly failed?: Record<string, string>; readonly stats?: DnsStatsSnapshot }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** What the resolver serves, and what it persists to recover after its own restart. */
export interface ResolverState {
  readonly records: DnsRecords;
  readonly sandboxes: readonly { readonly id: string; readonly ns: string }[];
}

/** The files of one resolver, all in `<exec root>/dns`. */
export function resolverPaths(execRoot: string): { dir: string; socket: string; pid: string; state: string; log: string } {
  const dir = join(execRoot, 'dns');
  return { dir, socket: join(dir, 'resolver.sock'), pid: join(dir, 'resolver.pid'), state: join(dir, 'state.json'), log: join(dir, 'resolver.log') };
}

/** The argv word that makes netd's entry script run the resolver instead of the daemon. */
export const RESOLVER_COMMAND = 'dns-resolver';

/** Longest line either side accepts (a snapshot of ~300 containers is ~150 kB). */
export const MAX_LINE = 64 * 1024 * 1024;

/** Calls `onLine` with each complete line of `sock`; destroys the socket on an overlong one. */
export function readLines(sock: Socket, onLine: (line: string) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE) return void sock.destroy();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.length > 0) onLine(line);
    }
  });
}

/** netd's end of one control connection. */
export class ResolverConnection {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: ResolverReply) => void; reject: (e: Error) => void }>();
  private closedWith?: Error;

  private constructor(private readonly sock: Socket) {
    readLines(sock, (line) => {
      let reply: ResolverReply;
      try {
        reply = JSON.parse(line) as ResolverReply;
      } catch {
        return void sock.destroy(new Error('the DNS resolver sent a malformed reply'));
      }
      const w = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      w?.resolve(reply);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.closedWith ??= new Error('the DNS resolver closed the control connection');
      for (const w of this.waiting.values()) w.reject(this.closedWith);
      this.waiting.clear();
    });
  }

  /** Connect to the resolver's socket; rejects when nobody listens there (ENOENT, ECONNREFUSED). */
  static open(path: string, timeoutMs = 2000): Promise<ResolverConnection> {
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      const timer = setTimeout(() => sock.destroy(new Error(`connect ${path}: timed out`)), timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new ResolverConnection(sock));
      });
    });
  }

  get closed(): boolean {
    return this.sock.destroyed;
  }

  onClose(fn: () => void): void {
    if (this.sock.destroyed) fn();
    else this.sock.once('close', fn);
  }

  /** One request; rejects when the connection closes first or no reply comes within `timeoutMs`. */
  request(req: RequestBody, timeoutMs = 30_000): Promise<ResolverReply> {
    if (this.sock.destroyed) return Promise.reject(this.closedWith ?? new Error('the DNS resolver connection is closed'));
    const id = this.nextId++;
    return new Promise<ResolverReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the DNS resolver did not answer ${req.op} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.sock.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  close(): void {
    this.closedWith = new Error('closed by netd');
    this.sock.destroy();
  }
}
