/**
 * bench/dns-resolver: what serving 127.0.0.11 from a resolver process (apps/netd/src/dns/
 * resolver-process.ts) costs against the inline server in netd, same run, same code path:
 * dnsperf throughput and one-at-a-time latency from a container namespace, the resolver's RSS
 * and fds with 0 and SANDBOXES served namespaces, and how long netd's whole-state sync takes at
 * that size. Everything lives in namespaces and a temp dir this script creates and deletes; the
 * resolver it starts is killed by its pid.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { dnsperf as runDnsperf } from '../support/dnsperf';
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { DnsServer, MemoryDnsBackend, type DnsRecords } from '@app/dns';
import { withNetns } from '@app/kernel';
import { ResolverConnection, resolverPaths } from '../../apps/netd/src/dns/resolver-protocol';
import { runResolver } from '../../apps/netd/src/dns/resolver-process';
import { bindInNamespace } from '../../apps/netd/src/dns/sandbox-binder';

const SANDBOXES = Number(process.env.SANDBOXES ?? 300);
const DURATION = 5;
const ROUNDS = 4;
const LATENCY_QUERIES = 3000;
const NAMES = ['c1', 'c2', 'c3', 'c4', 'c5'];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const idOf = (i: number): string => i.toString(16).padStart(64, '0');

function records(n: number): DnsRecords {
  const b = new MemoryDnsBackend();
  b.upsertNetwork({ id: 'n1', name: 'bench' });
  for (let i = 0; i < n; i++) {
    b.upsertEndpoint({ networkId: 'n1', endpointId: `e${i}`, containerId: idOf(i), name: `c${i}`, aliases: [`alias${i}`], ipv4: `10.78.${i >> 8}.${(i & 255) + 0}` });
  }
  return b.snapshot();
}

const dnsperf = (ns: string, queryFile: string) => runDnsperf('127.0.0.11', 53, queryFile, DURATION, ns);

/** Median (and p99) in ms of sequential queries from inside `ns`. */
async function latency(ns: string): Promise<{ median: number; p99: number }> {
  const sock = dgram.createSocket({ type: 'udp4', lookup: ((h: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, h, 4)) as never });
  await new Promise<void>((res) => {
    sock.once('listening', () => res());
    withNetns({ path: `/run/netns/${ns}` }, () => sock.bind(0, '127.0.0.1'));
  });
  const queries = NAMES.map((name, i) => packet.encode({ id: i, type: 'query', questions: [{ name, type: 'A' }] }));
  const times: number[] = [];
  for (let i = 0; i < LATENCY_QUERIES; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('latency probe: no answer in 1 s')), 1000);
      sock.once('message', () => (clearTimeout(timer), res()));
      sock.send(queries[i % queries.length], 53, '127.0.0.11');
    });
    if (i >= 200) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  sock.close();
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] };
}

const status = (pid: number, field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const rssMb = (pid: number): string => (status(pid, 'VmRSS') / 1024).toFixed(1);
const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

async function main(): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const nss = Array.from({ length: SANDBOXES }, (_, i) => `netd-b-r-${tag}-${i}`);
  const dir = mkdtempSync(join(tmpdir(), 'netd-bench-resolver-'));
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'run');
  mkdirSync(dataRoot);
  const queryFile = join(dir, 'queries');
  writeFileSync(queryFile, NAMES.map((n) => `${n} A\n`).join(''));
  let resolverPid: number | undefined;
  let inlinePid: number | undefined;
  try {
    const t0 = Date.now();
    execFileSync('ip', ['-batch', '-'], { input: nss.map((n) => `netns add ${n}\n`).join(''), timeout: 60_000 });
    for (const n of nss) execFileSync('ip', ['-n', n, 'link', 'set', 'lo', 'up'], { timeout: 10_000 });
    console.log(`${SANDBOXES} namespaces made in ${Date.now() - t0} ms`);
    const recs = records(SANDBOXES);
    const sandboxes = nss.map((n, i) => ({ id: idOf(i), ns: `/run/netns/${n}` }));
    // the inline server holds the first namespace, the resolver all the others

    // 1. Inline, as netd ran it: the same server in another Node process (as netd is one),
    //    bound in the first namespace, with the same records.
    const recFile = join(dir, 'records.json');
    writeFileSync(recFile, JSON.stringify(recs));
    const inline = spawn(process.execPath, [process.argv[1], 'inline-server', sandboxes[0].ns, recFile, idOf(0)], { stdio: ['ignore', 'pipe', 'inherit'] });
    inlinePid = inline.pid;
    await new Promise<void>((res, rej) => {
      inline.stdout.once('data', () => res());
      inline.once('exit', (c) => rej(new Error(`inline server exited with ${c}`)));
    });


    // 2. The resolver process (this bundle run with `dns-resolver`), serving all namespaces.
    resolverPid = spawn(process.execPath, [process.argv[1], 'dns-resolver', '--exec-root', execRoot, '--data-root', dataRoot], { stdio: ['ignore', 'ignore', 'inherit'] }).pid!;
    const p = resolverPaths(execRoot);
    let conn: ResolverConnection | undefined;
    for (let i = 0; i < 200 && !conn; i++) {
      await new Promise((r) => setTimeout(r, 25));
      conn = await ResolverConnection.open(p.socket).catch(() => undefined);
    }
    if (!conn) throw new Error('the resolver did not start');
    const idleRss = rssMb(resolverPid);
    const idleFds = fds(resolverPid);
    let t = process.hrtime.bigint();
    const first = await conn.request({ op: 'sync', records: recs, sandboxes: sandboxes.slice(1) });
    const firstMs = Number(process.hrtime.bigint() - t) / 1e6;
    if (!first.ok || Object.keys(first.failed ?? {}).length > 0) throw new Error(`sync failed: ${JSON.stringify(first)}`);
    t = process.hrtime.bigint();
    await conn.request({ op: 'sync', records: recs, sandboxes: sandboxes.slice(1) });
    const againMs = Number(process.hrtime.bigint() - t) / 1e6;
    const fullRss = rssMb(resolverPid);
    const fullFds = fds(resolverPid);
    // alternate, so that both see the same load from the rest of the machine
    const inlineRuns: number[] = [];
    const procRuns: number[] = [];
    const inlineLats: number[] = [];
    const procLats: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // the order flips each round: neither always runs first
      if (round % 2 === 0) inlineRuns.push(await dnsperf(nss[0], queryFile));
      procRuns.push(await dnsperf(nss[1], queryFile));
      if (round % 2 === 1) inlineRuns.push(await dnsperf(nss[0], queryFile));
      inlineLats.push((await latency(nss[0])).median);
      procLats.push((await latency(nss[1])).median);
    }
    const afterRss = rssMb(resolverPid);
    const [inlineQps, procQps, inlineLat, procLat] = [inlineRuns, procRuns, inlineLats, procLats].map(median);
    conn.close();

    const runs = (xs: number[], digits: number): string => xs.map((x) => x.toFixed(digits)).join(' / ');
    console.log(`inline (netd's):   ${inlineQps.toFixed(0)} q/s (${runs(inlineRuns, 0)}), ${inlineLat.toFixed(3)} ms median latency (${runs(inlineLats, 3)})`);
    console.log(`resolver process:  ${procQps.toFixed(0)} q/s (${runs(procRuns, 0)}), ${procLat.toFixed(3)} ms median latency (${runs(procLats, 3)})`);
    console.log(`ratio process/inline (medians of ${ROUNDS} alternating rounds): throughput ${(procQps / inlineQps).toFixed(2)}, latency ${(procLat / inlineLat).toFixed(2)}`);
    console.log(`resolver RSS: ${idleRss} MB serving nothing, ${fullRss} MB serving ${SANDBOXES} namespaces, ${afterRss} MB after dnsperf`);
    console.log(`resolver fds: ${idleFds} serving nothing, ${fullFds} serving ${SANDBOXES} (2 a sandbox)`);
    console.log(`sync of ${SANDBOXES} sandboxes: ${firstMs.toFixed(0)} ms binding all, ${againMs.toFixed(1)} ms unchanged (netd's sync after any change)`);
  } finally {
    for (const pid of [resolverPid, inlinePid]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    spawnSync('ip', ['-batch', '-'], { input: nss.map((n) => `netns del ${n}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'], timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The inline baseline's process: `inline-server NS RECORDS_FILE SANDBOX_ID`; says "ready" once bound. */
async function inlineServer(ns: string, recFile: string, sandbox: string): Promise<void> {
  const backend = new MemoryDnsBackend();
  backend.load(JSON.parse(readFileSync(recFile, 'utf8')) as DnsRecords);
  await bindInNamespace(new DnsServer(backend), { sandbox }, { path: ns });
  process.stdout.write('ready\n');
}

if (process.argv[2] === 'inline-server') {
  inlineServer(process.argv[3], process.argv[4], process.argv[5]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (process.argv[2] === 'dns-resolver') {
  runResolver(process.argv.slice(3)).then((code) => process.exit(code));
} else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
