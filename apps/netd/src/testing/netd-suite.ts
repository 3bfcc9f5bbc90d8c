import { createTempNetns, run, type TempNetns } from '@app/kernel/testing';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, type ApiResponse, type NetdProcess, removeDir, startNetd, type StartOptions } from './netd-process';

export interface NetdSuiteOptions {
  /** The default bridge's name: unique per suite, suites share the machine. */
  bridge?: string;
  /** Bring up the loopback of the test host namespace (host-side listeners, 127.0.0.1 inside it). */
  loopback?: boolean;
  /** Sandbox namespaces under the daemon's own directory (--netns-dir), not the machine's /run/netns. */
  netnsDir?: boolean;
  /** Run the daemon process inside the test host namespace too (its own listeners live there). */
  inNamespace?: boolean;
  /** The daemon's daemon.json (an empty one otherwise). */
  daemonJson?: object;
  extraArgs?: string[];
  /** Runs first, before anything is made (a build the suite needs). */
  prepare?: () => Promise<void> | void;
  /** Runs once the namespace and the directory exist, before the daemon starts (an uplink it needs). */
  beforeStart?: (ns: TempNetns, dir: string) => Promise<void> | void;
  /** Runs first at the end, when a daemon was started (it may have stopped since): a browser, a log file. */
  beforeStop?: () => Promise<void> | void;
  /** How much of the daemon's log a failed test prints. */
  logTail?: number;
  /** Write the daemon's whole log to this file at the end (a debugging aid). */
  logFile?: string;
  /** Timeout of the docker client calls. */
  dockerTimeoutMs?: number;
  /** Timeout of the whole setup. */
  setupTimeoutMs?: number;
}

export interface NetdSuite {
  /** The test host namespace. */
  readonly ns: TempNetns;
  /** The daemon's directory (socket, data root, run dir, daemon.json). */
  readonly dir: string;
  /** The daemon running now (a new one after `restart`). */
  readonly netd: NetdProcess;
  /** `unix://` and the daemon's socket, for `-H`. */
  readonly url: string;
  /** One API request to the daemon running now. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** The docker client against the daemon (synchronous; HOME keeps a machine's docker config out). */
  docker(...args: string[]): SpawnSyncReturns<string>;
  /** Create a container (busybox unless `body` names an image), checked to answer 201; its id. */
  createContainer(body: object, name?: string): Promise<string>;
  /** The same, then start it, checked to answer 204; its id. */
  runContainer(body: object, name?: string): Promise<string>;
  /** Start the daemon again on the same directory and data root (after stop or kill9). */
  restart(extraArgs?: string[]): Promise<NetdProcess>;
}

/** Throw with what docker printed unless it exited 0; its stdout, trimmed, otherwise. */
export function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`docker failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

const STOP_MS = 20_000;

/**
 * One netd for the suite this is called in: beforeAll makes a fresh host namespace and directory and
 * starts the daemon there; a failed test prints the tail of the daemon's log; afterAll removes every
 * container, stops the daemon (SIGKILL when it does not stop within 20 s: the namespace must go),
 * deletes the namespace and removes the directory with everything the daemon left in it, each
 * step even when one before it failed. Hooks the suite declares after this call run after these.
 */
export function useNetd(o: NetdSuiteOptions = {}): NetdSuite {
  let ns: TempNetns | undefined;
  let dir: string | undefined;
  let netd: NetdProcess | undefined;
  const need = <T>(what: string, v: T | undefined): T => {
    if (v === undefined) throw new Error(`netd suite: no ${what} (the setup failed or has not run)`);
    return v;
  };
  const start = (extraArgs: string[] = o.extraArgs ?? [], dataRoot?: string): Promise<NetdProcess> => {
    const host = need('namespace', ns);
    const d = need('directory', dir);
    const opts: StartOptions = {
      hostNetns: host.ref.path,
      dir: d,
      dataRoot,
      bridge: o.bridge,
      netns: o.inNamespace ? host.ref.path : undefined,
      extraArgs: [...(o.netnsDir ? ['--netns-dir', join(d, 'netns')] : []), ...extraArgs],
    };
    return startNetd(opts);
  };
  const running = () => netd !== undefined && netd.child.exitCode === null && netd.child.signalCode === null;
  const suite: NetdSuite = {
    get ns() {
      return need('namespace', ns);
    },
    get dir() {
      return need('directory', dir);
    },
    get netd() {
      return need('daemon', netd);
    },
    get url() {
      return `unix://${need('daemon', netd).socket}`;
    },
    call: (method, path, body, headers) => api(suite.netd.socket, method, path, body, headers),
    docker: (...args) =>
      spawnSync('docker', ['-H', suite.url, ...args], { encoding: 'utf8', timeout: o.dockerTimeoutMs ?? 30_000, env: { PATH: process.env.PATH, HOME: '/nonexistent' } }),
    async createContainer(body, name) {
      const c = await suite.call('POST', `/containers/create${name === undefined ? '' : `?name=${encodeURIComponent(name)}`}`, { Image: 'busybox', ...body });
      expect(c).toMatchObject({ status: 201 });
      return c.body.Id as string;
    },
    async runContainer(body, name) {
      const id = await suite.createContainer(body, name);
      expect((await suite.call('POST', `/containers/${id}/start`)).status).toBe(204);
      return id;
    },
    async restart(extraArgs) {
      return (netd = await start(extraArgs, need('daemon', netd).dataRoot));
    },
  };

  beforeAll(async () => {
    await o.prepare?.();
    ns = await createTempNetns();
    if (o.loopback) await run('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
    dir = mkdtempSync(join(tmpdir(), 'netd-t-'));
    if (o.daemonJson) writeFileSync(join(dir, 'daemon.json'), JSON.stringify(o.daemonJson));
    await o.beforeStart?.(ns, dir);
    netd = await start();
  }, o.setupTimeoutMs ?? 90_000);

  afterEach(() => {
    if (netd && expect.getState().assertionCalls !== expect.getState().numPassingAsserts) {
      process.stderr.write(`netd logs:\n${netd.logs().slice(-(o.logTail ?? 4000))}\n`);
    }
  });

  afterAll(async () => {
    try {
      if (netd && o.logFile) writeFileSync(o.logFile, netd.logs());
      if (netd) await o.beforeStop?.();
    } finally {
      if (running()) {
        const all = await suite.call('GET', '/containers/json?all=1').catch(() => undefined);
        for (const c of (Array.isArray(all?.body) ? all.body : []) as { Id: string }[]) {
          await suite.call('DELETE', `/containers/${c.Id}?force=1&v=1`).catch(() => undefined);
        }
      }
      try {
        if (netd) {
          const d = netd;
          const stopped = await Promise.race([d.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), STOP_MS).unref())]);
          if (!stopped) {
            process.stderr.write(`netd did not stop within ${STOP_MS} ms of SIGTERM: killed\n`);
            await d.kill9();
          }
        }
      } finally {
        try {
          await ns?.dispose();
        } finally {
          if (dir && process.env.KEEP_NETD !== '1') removeDir(dir);
        }
      }
    }
  }, 120_000);

  return suite;
}
