import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describeRun, resolveTool, runCommand } from '../exec';
import type { NetnsRef } from '../netlink.port';
import { releaseNetns } from '../netns-release';

const PROBE_TIMEOUT_MS = 5_000;
const COMMAND_TIMEOUT_MS = 10_000;

let probe: { ok: boolean; reason: string } | undefined;

/** Whether this process can make network namespaces: root, and `unshare -n true` works. */
export function canUseNetns(): { ok: boolean; reason: string } {
  if (probe) return probe;
  if (process.getuid?.() !== 0) return (probe = { ok: false, reason: 'not running as root' });
  const r = spawnSync(resolveTool('unshare'), ['-n', 'true'], { timeout: PROBE_TIMEOUT_MS, stdio: 'pipe' });
  probe = r.status === 0 ? { ok: true, reason: '' } : { ok: false, reason: `unshare -n true failed: ${r.stderr?.toString().trim() || r.error?.message || r.status}` };
  return probe;
}

/**
 * `describe` for suites that need root and CAP_NET_ADMIN. Without them the suite is skipped
 * loudly, except under CI (process.env.CI set), where it fails: a skip must never pass for green.
 */
export function describeAsRoot(name: string, fn: () => void): void {
  const { ok, reason } = canUseNetns();
  if (ok) {
    describe(name, fn);
  } else if (process.env.CI) {
    describe(name, () => {
      it('requires root and CAP_NET_ADMIN', () => {
        throw new Error(`${name}: requires root and CAP_NET_ADMIN (${reason}); CI must run integration tests as root`);
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`${name}: skipped: requires root and CAP_NET_ADMIN (${reason})`);
    describe.skip(name, fn);
  }
}

/** A unique namespace name for tests: `netd-t-<8 hex>`. */
export function tempNetnsName(prefix = 'netd-t'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A namespace made with `ip netns add` for one test, removed by `dispose` (idempotent). */
export interface TempNetns {
  readonly name: string;
  readonly ref: NetnsRef;
  dispose(): Promise<void>;
}

export async function createTempNetns(name = tempNetnsName()): Promise<TempNetns> {
  await run('ip', ['netns', 'add', name]);
  let disposed = false;
  return {
    name,
    ref: { path: `/run/netns/${name}` },
    async dispose() {
      if (disposed) return;
      disposed = true;
      // In-process handles (rtnetlink sockets, libnftables contexts) would pin the namespace.
      releaseNetns(`/run/netns/${name}`);
      await run('ip', ['netns', 'del', name]);
    },
  };
}

/** Run `fn` with fresh namespaces (`count` of them), deleting them afterwards even on failure. */
export async function withTempNetns<T>(fn: (...ns: TempNetns[]) => Promise<T>, count = 1): Promise<T> {
  const made: TempNetns[] = [];
  try {
    for (let i = 0; i < count; i++) made.push(await createTempNetns());
    return await fn(...made);
  } finally {
    for (const ns of made) await ns.dispose().catch(() => undefined);
  }
}

/** `ip -json …` inside a namespace (a name under /run/netns, or a ref), parsed. */
export async function ipJson<T = unknown>(ns: string | NetnsRef, args: readonly string[]): Promise<T> {
  const out = await inNs(ns, 'ip', ['-json', ...args]);
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

/** `bridge -json …` inside a namespace, parsed. */
export async function bridgeJson<T = unknown>(ns: string | NetnsRef, args: readonly string[]): Promise<T> {
  const out = await inNs(ns, 'bridge', ['-json', ...args]);
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

/** Run a command inside a namespace; returns stdout, throws with the command line and output on failure. */
export function nsExec(ns: string | NetnsRef, cmd: string, args: readonly string[], input?: string): Promise<string> {
  return inNs(ns, cmd, args, input);
}

/** Run a command in the current namespace with a timeout; throws with its output on failure. */
export async function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await runCommand(cmd, args, { input, timeoutMs: COMMAND_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`${describeRun(cmd, args, r)}${r.stdout.trim() ? `\nstdout: ${r.stdout.trim()}` : ''}`);
  return r.stdout;
}

function inNs(ns: string | NetnsRef, cmd: string, args: readonly string[], input?: string): Promise<string> {
  const path = typeof ns === 'string' ? `/run/netns/${ns}` : ns.path;
  return run('nsenter', [`--net=${path}`, resolveTool(cmd), ...args], input);
}
