import { DnsListener, DnsServer, Forwarder, MemoryDnsBackend } from '@app/dns';
import { withNetns } from '@app/kernel/native/with-netns';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { readLines, ResolverConnection, ResolverReply, ResolverRequest, ResolverState, resolverPaths } from './resolver-protocol';
import { bindInNamespace } from './sandbox-binder';

/**
 * netd's DNS resolver as a process of its own (aardvark-dns's model): it holds 127.0.0.11:53
 * (UDP and TCP) in every container namespace and answers from records netd pushes, so that
 * name resolution goes on while netd restarts, and even while no netd runs.
 *
 * Chosen over keeping the sockets in netd and handing them to the next one (queries would wait
 * in the socket buffers meanwhile): that needs fd passing Node lacks (pidfd_getfd through FFI, a
 * holder process anyway), and every restart leaves clients unanswered for netd's whole start
 * (≈ 0.8 s measured with two containers, longer with a reconciliation of many) against their
 * 1–5 s timeouts. Here a restart, even a kill -9, loses no answer (e2e/dns-restart). The cost is
 * one Node process: ≈ 54 MB RSS started from dist, ≈ 65 MB serving 300 namespaces
 * (bench/dns-resolver), beside netd's ≈ 150 MB; throughput and latency as inline (same code).
 *
 * It never outlives what it serves: it exits when netd's data root or its own socket is
 * removed (uninstall), when netd tells it to (inline DNS configured, or a netd of another
 * version), and when it has served no sandbox and had no netd connected for `idleExitMs`.
 */
export interface ResolverProcessOptions {
  readonly execRoot: string;
  readonly dataRoot: string;
  /** The namespace upstream queries leave from (netd's --host-netns); the own one when undefined. */
  readonly hostNetns?: string;
  readonly idleExitMs?: number;
  readonly checkMs?: number;
  readonly log?: (msg: string, extra?: Record<string, unknown>) => void;
}

interface Bound {
  readonly ns: string;
  /** The namespace's inode when bound: the same path may later name another namespace. */
  readonly ino: number;
  readonly listeners: DnsListener[];
}

export class ResolverProcess {
  readonly version = resolverBuildId();
  private readonly paths: ReturnType<typeof resolverPaths>;
  private readonly backend = new MemoryDnsBackend();
  private readonly server: DnsServer;
  private readonly bound = new Map<string, Bound>();
  private control?: Server;
  private readonly clients = new Set<Socket>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private idleSince = Date.now();
  private stopping?: Promise<void>;
  private readonly log: NonNullable<ResolverProcessOptions['log']>;
  /** Resolves when the process should exit. */
  readonly done: Promise<void>;
  private finish!: () => void;

  private readonly checkMs?: number;
  private readonly dataRoot: string;
  private readonly idleExitMs?: number;

  constructor(options: ResolverProcessOptions) {
    this.checkMs = options.checkMs;
    this.dataRoot = options.dataRoot;
    this.idleExitMs = options.idleExitMs;
    this.paths = resolverPaths(options.execRoot);
    this.log = options.log ?? (() => undefined);
    const host = options.hostNetns;
    const forwarder = new Forwarder({ enter: host ? (fn) => withNetns({ path: host }, fn) : undefined });
    this.server = new DnsServer(this.backend, { forwarder, onError: (err) => this.log('dns error', { err: String(err) }) });
    this.done = new Promise((r) => (this.finish = r));
  }

  /** Listen on the control socket (refusing if another resolver answers there), then recover the persisted state. */
  async start(): Promise<void> {
    mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    if (existsSync(this.paths.socket)) {
      const other = await ResolverConnection.open(this.paths.socket, 1000).catch(() => undefined);
      if (other) {
        other.close();
        throw new Error(`another DNS resolver serves ${this.paths.socket}`);
      }
      unlinkSync(this.paths.socket);
    }
    const control = createServer((sock) => this.serveClient(sock));
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.listen(this.paths.socket, () => resolve());
    });
    chmodSync(this.paths.socket, 0o600);
    this.control = control;
    writeFileSync(this.paths.pid, `${process.pid}\n`);
    const saved = this.readState();
    if (saved) await this.apply(saved, false);
    this.timer = setInterval(() => void this.check(), this.checkMs ?? 1000);
    this.log('dns resolver ready', { pid: process.pid, version: this.version, sandboxes: this.bound.size });
  }

  /** Close every socket, remove the pid file and control socket (when still ours), and let the process end. */
  stop(why: string): Promise<void> {
    return (this.stopping ??= (async () => {
      this.log('dns resolver stopping', { why });
      clearInterval(this.timer);
      for (const c of this.clients) c.destroy();
      await new Promise<void>((r) => (this.control ? this.control.close(() => r()) : r()));
      await Promise.all([...this.bound.keys()].map((id) => this.unbind(id)));
      await this.server.close();
      if (readPid(this.paths.pid) === process.pid) {
        for (const f of [this.paths.pid, this.paths.socket]) rmQuiet(f);
      }
      this.finish();
    })());
  }

  /** Sandboxes served now, with their namespace paths (for tests). */
  serving(): Map<string, string> {
    return new Map([...this.bound].map(([id, b]) => [id, b.ns]));
  }

  private serveClient(sock: Socket): void {
    this.clients.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.clients.delete(sock);
      this.idleSince = Date.now();
    });
    readLines(sock, (line) => {
      let req: ResolverRequest;
      try {
        req = JSON.parse(line) as ResolverRequest;
      } catch {
        return void sock.destroy();
      }
      if (req?.op === 'stats') return void sock.write(`${JSON.stringify({ id: req.id, ok: true, stats: this.server.resolver.stats.snapshot() })}\n`);
      // One request at a time across all connections: a sync is applied whole before the next.
      this.queue = this.queue.then(() => this.handle(req)).then(
        (reply) => !sock.destroyed && sock.write(`${JSON.stringify(reply)}\n`),
        (err) => !sock.destroyed && sock.write(`${JSON.stringify({ id: req.id, ok: false, error: String(err) })}\n`),
      );
    });
  }

  private async handle(req: ResolverRequest): Promise<ResolverReply> {
    switch (req.op) {
      case 'hello':
        return { id: req.id, ok: true, version: this.version, pid: process.pid };
      case 'sync': {
        const failed = await this.apply({ records: req.records, sandboxes: req.sandboxes }, true);
        return { id: req.id, ok: true, failed };
      }
      case 'shutdown':
        setImmediate(() => void this.stop('netd asked'));
        return { id: req.id, ok: true };
      default:
        return { id: (req as { id: number }).id, ok: false, error: `unknown request ${JSON.stringify((req as { op?: unknown }).op)}` };
    }
  }

  /** Serve exactly `state`: records replaced at once, sockets opened and closed to match. */
  private async apply(state: ResolverState, persist: boolean): Promise<Record<string, string>> {
    const skipped = this.backend.load(state.records);
    if (skipped.length > 0) this.log('records skipped', { skipped });
    const wanted = new Map((state.sandboxes ?? []).map((s) => [s.id, s.ns]));
    const failed: Record<string, string> = {};
    await Promise.all([...this.bound.keys()].filter((id) => !wanted.has(id)).map((id) => this.unbind(id)));
    await Promise.all(
      [...wanted].map(async ([id, ns]) => {
        try {
          await this.bind(id, ns);
        } catch (e) {
          failed[id] = (e as Error).message;
        }
      }),
    );
    if (persist) this.writeState({ records: state.records, sandboxes: [...wanted].filter(([id]) => !failed[id]).map(([id, ns]) => ({ id, ns })) });
    if (this.bound.size > 0) this.idleSince = Date.now();
    return failed;
  }

  private async bind(id: string, ns: string): Promise<void> {
    const ino = statSync(ns).ino;
    const cur = this.bound.get(id);
    if (cur && cur.ns === ns && cur.ino === ino) return;
    if (cur) await this.unbind(id);
    const listeners = await bindInNamespace(this.server, { sandbox: id }, { path: ns });
    this.bound.set(id, { ns, ino, listeners });
  }

  private async unbind(id: string): Promise<void> {
    const b = this.bound.get(id);
    this.bound.delete(id);
    if (b) await Promise.all(b.listeners.map((l) => l.close()));
  }

  /** The periodic guard: exit when netd is gone for good, drop namespaces that are gone. */
  private async check(): Promise<void> {
    if (!existsSync(this.dataRoot)) return void this.stop(`the data root ${this.dataRoot} is gone`);
    if (!existsSync(this.paths.socket)) return void this.stop('the control socket is gone');
    const pid = readPid(this.paths.pid);
    if (pid !== undefined && pid !== process.pid) return void this.stop(`resolver ${pid} took over`);
    for (const [id, b] of this.bound) {
      if (!existsSync(b.ns)) {
        this.log('namespace gone', { sandbox: id, ns: b.ns });
        await this.unbind(id);
      }
    }
    if (this.bound.size === 0 && this.clients.size === 0 && Date.now() - this.idleSince > (this.idleExitMs ?? 30_000)) {
      void this.stop('idle: no sandbox served and no netd connected');
    }
  }

  private readState(): ResolverState | undefined {
    try {
      return JSON.parse(readFileSync(this.paths.state, 'utf8')) as ResolverState;
    } catch {
      return undefined;
    }
  }

  private writeState(state: ResolverState): void {
    const tmp = `${this.paths.state}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
      renameSync(tmp, this.paths.state);
    } catch (e) {
      this.log('cannot persist the DNS state', { err: String(e) });
    }
  }
}

/**
 * Identity of the resolver's code: a hash of every file of this program it loaded (in a bundle,
 * the bundle itself) and of the Node version. netd computes it from the same module tree, so a
 * rebuilt or upgraded netd finds a different value and replaces the resolver it finds.
 */
export function resolverBuildId(): string {
  const h = createHash('sha256').update(`1\0${process.version}\0`);
  const files = new Set<string>();
  const walk = (m: NodeModule | undefined): void => {
    if (!m || files.has(m.filename) || m.filename.includes('/node_modules/')) return;
    files.add(m.filename);
    for (const c of m.children ?? []) walk(c);
  };
  walk(module);
  for (const f of [...files].sort()) {
    try {
      h.update(f).update(readFileSync(f));
    } catch {
      h.update(f);
    }
  }
  return h.digest('hex').slice(0, 16);
}

export function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** `netd dns-resolver --exec-root DIR --data-root DIR [--host-netns PATH]`: run until told to stop. */
export async function runResolver(argv: readonly string[]): Promise<number> {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const execRoot = arg('--exec-root');
  const dataRoot = arg('--data-root');
  if (!execRoot || !dataRoot) {
    process.stderr.write('usage: netd dns-resolver --exec-root DIR --data-root DIR [--host-netns PATH]\n');
    return 2;
  }
  const log = (msg: string, extra: Record<string, unknown> = {}): void => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), pid: process.pid, msg, ...extra })}\n`);
  };
  const r = new ResolverProcess({ execRoot, dataRoot, hostNetns: arg('--host-netns'), log });
  process.once('SIGTERM', () => void r.stop('SIGTERM'));
  process.once('SIGINT', () => void r.stop('SIGINT'));
  try {
    await r.start();
  } catch (e) {
    log('dns resolver failed to start', { err: String(e) });
    return 1;
  }
  await r.done;
  return 0;
}
