// bench/netscale: does the n-th network cost what the first did, and how long does a restart
// take with many networks? A netd (a child process of this same bundle) runs with its host
// namespace made for the run and `default-address-pools` 10.0.0.0/8 split into /24s, so every
// create goes through the automatic pool choice (`docker network create nX`).
//   create   POST /networks/create (then DELETE, so the count stays put): median of PROBES
//            creates at 1, 1,000 and 2,000 existing networks; the baseline is the median at the
//            first level (after 20 unmeasured warm-up pairs), measured in the same run, and every
//            level prints its ratio to it.
//   restart  SIGTERM, then a new daemon on the same data root: time from spawn until the socket
//            answers (reconciliation runs before the listener opens, so an answer means every
//            network was replayed); measured at the first level (baseline) and at the last.
//            The replayed count comes from the daemon's "state reconciled" log line.
// Everything it made goes with the namespace and the temporary directory at the end.
// NETSCALE_LEVELS=1,1000,2000 NETSCALE_PROBES=7; NETSCALE_PROF=<dir> runs the daemons under
// --cpu-prof into that directory.
import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { bundledNetdCommand } from '../../apps/netd/src/bundled-entry';

const LEVELS = (process.env.NETSCALE_LEVELS ?? '1,1000,2000').split(',').map(Number);
const PROBES = Number(process.env.NETSCALE_PROBES ?? 7);
const PROF = process.env.NETSCALE_PROF;
const WARMUP = 20;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const f = (x: number) => x.toFixed(1).padStart(7);

interface Daemon {
  child: ChildProcess;
  pool: Pool;
  stderr: () => string;
}

async function ping(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return false;
  const p = new Pool('http://localhost', { socketPath: socket, connections: 1 });
  try {
    const res = await p.request({ path: '/_ping', method: 'GET' });
    await res.body.text();
    return res.statusCode === 200;
  } catch {
    return false;
  } finally {
    await p.close();
  }
}

async function start(args: string[], socket: string): Promise<Daemon> {
  const node = PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF] : [];
  const child = spawn(process.execPath, [...node, process.argv[1], '--daemon', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const deadline = Date.now() + 120_000;
  while (!(await ping(socket))) {
    if (child.exitCode !== null) throw new Error(`netd exited with ${child.exitCode}:\n${err}`);
    if (Date.now() > deadline) throw new Error(`netd did not answer within 120 s:\n${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { child, pool: new Pool('http://localhost', { socketPath: socket, connections: 1 }), stderr: () => err };
}

async function stop(d: Daemon): Promise<void> {
  await d.pool.close();
  if (d.child.exitCode === null) {
    const exited = new Promise((r) => d.child.once('exit', r));
    d.child.kill('SIGTERM');
    await exited;
  }
}

async function call(d: Daemon, method: string, path: string, body?: object): Promise<{ Id?: string }> {
  const res = await d.pool.request({ path, method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** The networks the daemon replayed at its last start, from its "state reconciled" line. */
function replayed(d: Daemon): number {
  const line = d.stderr().split('\n').find((l) => l.includes('"state reconciled"'));
  return line ? (JSON.parse(line) as { networksReplayed: number }).networksReplayed : NaN;
}

async function main(): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const ns = `netd-b-ns-${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'netd-bench-netscale-'));
  const socket = join(dir, 'netd.sock');
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'default-address-pools': [{ base: '10.0.0.0/8', size: 24 }] }));
  const args = ['--config-file', join(dir, 'daemon.json'), '-H', `unix://${socket}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'),
    '--host-netns', `/run/netns/${ns}`, '--log-level', 'info'];
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add: ${r.stderr}`);
  let d: Daemon | undefined;
  try {
    d = await start(args, socket);
    let count = 0;
    let probe = 0;
    const rows: { level: number; create: number; del: number; fill: number }[] = [];
    const restarts: { level: number; ms: number; replayed: number }[] = [];
    const restart = async (level: number) => {
      await stop(d!);
      const t0 = now();
      d = await start(args, socket);
      restarts.push({ level, ms: now() - t0, replayed: replayed(d) });
    };
    for (const level of LEVELS) {
      const t0 = now();
      const filled = level - count;
      while (count < level) await call(d, 'POST', '/v1.47/networks/create', { Name: `n${count++}` });
      const fill = filled > 0 ? (now() - t0) / filled : NaN;
      // The first level warms the daemon up (JIT, caches) with unmeasured pairs, so its median
      // is a warm create, not a cold one that would flatter every ratio.
      for (let k = 0; level === LEVELS[0] && k < WARMUP; k++) {
        const { Id } = await call(d, 'POST', '/v1.47/networks/create', { Name: `warm${k}` });
        await call(d, 'DELETE', `/v1.47/networks/${Id}`);
      }
      const creates: number[] = [];
      const dels: number[] = [];
      for (let k = 0; k < PROBES; k++) {
        let t = now();
        const { Id } = await call(d, 'POST', '/v1.47/networks/create', { Name: `probe${probe++}` });
        creates.push(now() - t);
        t = now();
        await call(d, 'DELETE', `/v1.47/networks/${Id}`);
        dels.push(now() - t);
      }
      rows.push({ level, create: median(creates), del: median(dels), fill });
      if (level === LEVELS[0] || level === LEVELS[LEVELS.length - 1]) await restart(level);
    }
    const listed = (await (await d.pool.request({ path: '/v1.47/networks', method: 'GET' })).body.json()) as unknown[];
    const base = rows[0];
    console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${PROBES} probes per level; ${listed.length} networks listed after the last restart (3 predefined)`);
    console.log('networks | create ms  ratio | delete ms  ratio | fill ms/network');
    for (const x of rows) {
      console.log(`${String(x.level).padStart(8)} | ${f(x.create)} ${(x.create / base.create).toFixed(2).padStart(5)}× | ${f(x.del)} ${(x.del / base.del).toFixed(2).padStart(5)}× | ${f(x.fill)}`);
    }
    const rb = restarts[0];
    for (const x of restarts) {
      console.log(`restart with ${x.level} networks: ${f(x.ms)} ms (${x.replayed} networks replayed)  ratio to ${rb.level}: ${(x.ms / rb.ms).toFixed(2)}×`);
    }
    const last = rows[rows.length - 1];
    console.log(`growth: create at ${last.level} vs ${base.level} networks ${(last.create / base.create).toFixed(2)}× (target ≤ 1.5×); restart with ${restarts.at(-1)!.level} networks ${(restarts.at(-1)!.ms / 1000).toFixed(2)} s (target < 5 s)`);
  } finally {
    if (d) await stop(d).catch(() => undefined);
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const asNetd = bundledNetdCommand();
if (asNetd) {
  void asNetd.then((code) => process.exit(code));
} else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
