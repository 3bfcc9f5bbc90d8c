import { SystemError } from '@app/common';
import type { DnsStatsSnapshot } from '@app/dns';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readPid } from './resolver-process';
import { RESOLVER_COMMAND, ResolverConnection, ResolverState, resolverPaths } from './resolver-protocol';

export interface ResolverLauncher {
  readonly execRoot: string;
  readonly dataRoot: string;
  /** Passed on to the resolver; undefined = netd's own namespace. */
  readonly hostNetns?: string;
  /** The version netd expects (resolverBuildId of its own code). */
  readonly version: string;
  /** Node and the script that runs `netd dns-resolver`. */
  readonly command: readonly [string, string];
  /** Starts the process detached (the kernel lib's spawnDetached); returns its pid. */
  readonly spawn: (file: string, args: readonly string[], logPath: string) => number;
  readonly log: (level: 'info' | 'warn', msg: string, extra?: Record<string, unknown>) => void;
  readonly startTimeoutMs?: number;
}

const isResolver = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(RESOLVER_COMMAND);
  } catch {
    return false;
  }
};

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isResolver(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isResolver(pid);
}

/** Kill the resolver named by the pid file, by that pid only, when it still is a resolver. */
async function killStale(pidFile: string, log: ResolverLauncher['log']): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === undefined || !isResolver(pid)) return;
  log('warn', 'dns: killing a resolver that does not answer', { pid });
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitGone(pid, 2000);
}

/** Ask a running resolver to close its sockets and exit, and wait for it (SIGKILL after 3 s). */
export async function stopResolver(execRoot: string, log: ResolverLauncher['log']): Promise<void> {
  const p = resolverPaths(execRoot);
  const pid = readPid(p.pid);
  const conn = existsSync(p.socket) ? await ResolverConnection.open(p.socket).catch(() => undefined) : undefined;
  if (conn) {
    await conn.request({ op: 'shutdown' }, 3000).catch(() => undefined);
    conn.close();
  }
  if (pid !== undefined && isResolver(pid)) {
    if (!(await waitGone(pid, 3000))) await killStale(p.pid, log);
    log('info', 'dns: resolver process stopped', { pid });
  }
}

/**
 * A connection to a resolver of netd's version: the running one is adopted (its sockets and
 * answers untouched), one of another version is stopped and replaced, none is started.
 */
export async function ensureResolver(l: ResolverLauncher): Promise<ResolverConnection> {
  const p = resolverPaths(l.execRoot);
  const adopt = async (): Promise<ResolverConnection | undefined> => {
    const conn = await ResolverConnection.open(p.socket).catch(() => undefined);
    if (!conn) return undefined;
    const hello = await conn.request({ op: 'hello' }, 5000).catch(() => undefined);
    if (hello?.ok && hello.version === l.version) return conn;
    conn.close();
    l.log('info', 'dns: replacing a resolver of another version', { found: hello?.ok ? hello.version : undefined, want: l.version });
    await stopResolver(l.execRoot, l.log);
    return undefined;
  };
  const running = await adopt();
  if (running) return running;
  await killStale(p.pid, l.log);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  const args = [l.command[1], RESOLVER_COMMAND, '--exec-root', l.execRoot, '--data-root', l.dataRoot, ...(l.hostNetns ? ['--host-netns', l.hostNetns] : [])];
  const pid = l.spawn(l.command[0], args, p.log);
  const end = Date.now() + (l.startTimeoutMs ?? 10_000);
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    if (existsSync(p.socket) && readPid(p.pid) === pid) {
      const conn = await adopt();
      if (conn) {
        l.log('info', 'dns: resolver process started', { pid });
        return conn;
      }
    }
    if (!isResolver(pid)) break;
  }
  try {
    if (isResolver(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
  throw new SystemError(`the DNS resolver did not start (see ${p.log})`);
}

/**
 * Keeps a resolver process serving what netd's DNS says: after each change the whole state is
 * sent, coalesced (one sync in flight, the next one carrying every change made meanwhile).
 * Nothing is sent before `start`, so that an adopted resolver never sees a half-loaded state
 * (it would close the sockets of sandboxes not yet listed). A lost resolver is started again
 * and brought up to date.
 */
export class ResolverMirror {
  private conn?: Promise<ResolverConnection>;
  private started = false;
  private closed = false;
  private current?: Promise<Record<string, string>>;
  private next?: Promise<Record<string, string>>;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly connect: () => Promise<ResolverConnection>,
    private readonly state: () => ResolverState,
    private readonly log: ResolverLauncher['log'],
  ) {}

  /** The first sync: from now on every change is sent. */
  start(): Promise<Record<string, string>> {
    this.started = true;
    const first = this.flush();
    first.catch(() => this.lost(undefined, 1000));
    return first;
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** Records or sandboxes changed: send them soon (nothing is awaited). */
  changed(): void {
    if (!this.started || this.closed || this.next) return;
    this.flush().catch((err) => this.log('warn', 'dns: syncing the resolver failed', { err: String(err) }));
  }

  /**
   * Send the state as it is when the sync leaves; resolves with the sandboxes that could not be
   * served (id → why) once the resolver applied it. Rejects when no resolver can be reached.
   */
  flush(): Promise<Record<string, string>> {
    if (this.closed) return Promise.resolve({});
    if (!this.current) {
      const p = this.send().finally(() => {
        if (this.current === p) this.current = undefined;
      });
      return (this.current = p);
    }
    return (this.next ??= this.current.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.flush();
    }));
  }

  /**
   * The resolver's counters, over the connection netd already holds; undefined when there is
   * none or it does not answer in time (a scrape never starts a resolver).
   */
  async stats(timeoutMs = 2000): Promise<DnsStatsSnapshot | undefined> {
    const conn = await this.conn?.catch(() => undefined);
    if (!conn || conn.closed) return undefined;
    const reply = await conn.request({ op: 'stats' }, timeoutMs).catch(() => undefined);
    return reply?.ok ? reply.stats : undefined;
  }

  /** Stop syncing and hang up; the resolver keeps serving (netd restarts, or stops for a while). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    void this.conn?.then((c) => c.close(), () => undefined);
  }

  private async send(): Promise<Record<string, string>> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection();
      try {
        const reply = await conn.request({ op: 'sync', ...this.state() });
        if (!reply.ok) throw new SystemError(`the DNS resolver refused the state: ${reply.error}`);
        return reply.failed ?? {};
      } catch (e) {
        if (attempt > 0 || !conn.closed) throw e;
        // the resolver went away between two syncs: start it again once, then give up
      }
    }
  }

  private connection(): Promise<ResolverConnection> {
    if (!this.conn) {
      const p = this.connect().then((c) => {
        c.onClose(() => this.lost(p));
        return c;
      });
      p.catch(() => this.conn === p && (this.conn = undefined));
      this.conn = p;
    }
    return this.conn;
  }

  /** The resolver died (or was replaced): reconnect and resend, so it serves again at once. */
  private lost(p?: Promise<ResolverConnection>, delayMs = 100): void {
    if (p && this.conn === p) this.conn = undefined;
    if (this.closed || !this.started) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.flush().catch((err) => {
        this.log('warn', 'dns: the resolver is gone and cannot be started again; retrying', { err: String(err) });
        this.lost(undefined, 1000);
      });
    }, delayMs);
  }
}
