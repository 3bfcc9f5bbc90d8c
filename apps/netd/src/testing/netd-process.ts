import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');
let bundled: Promise<string> | undefined;

/**
 * Bundle apps/netd/src/main.ts once per test process with esbuild, into node_modules/.cache so
 * the externals resolve from the repo's node_modules. Controllers inject and validate bodies
 * explicitly, so the missing decorator metadata (esbuild emits none) does not matter.
 */
export function bundleNetd(): Promise<string> {
  return (bundled ??= (async () => {
    const dir = join(ROOT, 'node_modules', '.cache', 'netd-test');
    mkdirSync(dir, { recursive: true });
    const result = await build({
      entryPoints: [join(ROOT, 'apps/netd/src/main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      write: false,
      sourcemap: 'inline',
      // hyperswarm/hyperdht load native addons (udx-native, sodium-native) through require-addon
      external: ['netlink', 'koffi', 'better-sqlite3', '@nestjs/*', 'fastify', 'pino', 'class-validator', 'class-transformer', 'reflect-metadata', 'hyperswarm', 'hyperdht', 'hyperdht/*', 'udx-native', 'sodium-native'],
      logLevel: 'error',
    });
    const code = result.outputFiles[0].contents;
    // named by content: parallel test processes share one file and nothing piles up
    const outfile = join(dir, `netd-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`);
    if (!existsSync(outfile)) {
      const tmp = `${outfile}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, outfile);
    }
    return outfile;
  })());
}

export interface NetdProcess {
  readonly socket: string;
  readonly dataRoot: string;
  readonly dir: string;
  readonly child: ChildProcess;
  /** Everything the daemon wrote to stderr (pino JSON lines). */
  logs(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, no cleanup by the daemon. */
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  hostNetns: string;
  /** Reuse a data root (restart after a crash). */
  dataRoot?: string;
  dir?: string;
  extraArgs?: string[];
  /** Do not wait for the socket (for configurations that must refuse to start). */
  expectFailure?: boolean;
  bridge?: string;
  /** Run the daemon process itself inside this namespace (a path), through nsenter: its own sockets (the cluster's DHT) live there. */
  netns?: string;
  /** Extra environment for the daemon (e.g. TMPDIR, to see what it leaves behind). */
  env?: Record<string, string>;
}

export async function startNetd(o: StartOptions): Promise<NetdProcess> {
  const main = await bundleNetd();
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'netd-t-'));
  const socket = join(dir, 'netd.sock');
  const dataRoot = o.dataRoot ?? join(dir, 'data');
  const args = [
    main,
    '--config-file', join(dir, 'daemon.json'),
    '-H', `unix://${socket}`,
    '--data-root', dataRoot,
    '--exec-root', join(dir, 'run'),
    '--host-netns', o.hostNetns,
    '--bridge', o.bridge ?? 'netd0',
    '--log-level', 'info',
    ...(o.extraArgs ?? []),
  ];
  // an explicit (empty) config file, so a /etc/netd/daemon.json on the machine cannot leak in
  if (!existsSync(join(dir, 'daemon.json'))) writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const env = { ...process.env, ...o.env };
  const child = o.netns
    ? spawn('nsenter', [`--net=${o.netns}`, process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env })
    : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const self: NetdProcess = {
    socket,
    dataRoot,
    dir,
    child,
    logs: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  if (o.expectFailure) return self;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`netd exited with ${child.exitCode}:\n${stderr}`);
    if (existsSync(socket) && (await ping(socket))) return self;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`netd did not come up:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON of any endpoint
  body: any;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request over the unix socket; `body` as object (JSON) or raw string/Buffer. */
export function api(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        path,
        method,
        headers: { ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
        });
      },
    );
    let answered = false;
    req.on('response', () => (answered = true));
    // the server may answer (413) and close while a huge body is still being written
    req.on('error', (e) => (answered ? undefined : reject(e)));
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Remove a test daemon's directory even when the daemon died with containers running (a failed
 * suite): force-delete the containers of its runc root (their processes and conmons end), unmount
 * whatever is still mounted below it (namespace bind mounts with --netns-dir there; deepest first), delete
 * the namespaces its database names under /run/netns, then delete the tree.
 */
export function removeDir(dir: string): void {
  // the daemon's DNS resolver process (it would exit by itself once the data root is gone)
  const resolverPid = Number(existsSync(join(dir, 'run', 'dns', 'resolver.pid')) ? readFileSync(join(dir, 'run', 'dns', 'resolver.pid'), 'utf8').trim() : NaN);
  if (Number.isInteger(resolverPid) && resolverPid > 0) {
    try {
      if (readFileSync(`/proc/${resolverPid}/cmdline`, 'utf8').split('\0').includes('dns-resolver')) process.kill(resolverPid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const runcRoot = join(dir, 'run', 'runc');
  if (existsSync(runcRoot)) {
    const ids = spawnSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8', timeout: 10_000 }).stdout?.split('\n').filter(Boolean) ?? [];
    for (const id of ids) spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id], { timeout: 10_000 });
  }
  // namespaces it made under the machine's /run/netns (a daemon without --netns-dir), from its own database
  const dbPath = join(dir, 'data', 'netd.db');
  if (existsSync(dbPath)) {
    try {
      const db = new Database(dbPath, { readonly: true, timeout: 2000 });
      const rows = db.prepare('SELECT name, netns FROM sandboxes').all() as { name: string; netns: string | null }[];
      db.close();
      for (const r of rows) {
        const name = r.netns ?? r.name;
        if (/^[\w.-]+$/.test(name) && existsSync(`/run/netns/${name}`)) spawnSync('ip', ['netns', 'del', name], { timeout: 10_000 });
      }
    } catch {
      // an older schema or a locked database: the namespaces stay, nothing else is affected
    }
  }
  const prefix = resolve(dir) + '/';
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m], { timeout: 10_000 });
  rmSync(dir, { recursive: true, force: true });
}
