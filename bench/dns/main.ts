/**
 * bench/dns: throughput (dnsperf, Debian package) and one-query-at-a-time latency of netd's DNS
 * server for container names, against a trivial baseline responder (one dgram socket sending a
 * fixed pre-encoded answer) measured in the same run. Then the two listener placements:
 * 127.0.0.11 inside the container namespace (Docker) and the gateway address in a "host"
 * namespace reached over a veth (aardvark). Everything is on loopback or in namespaces this
 * script creates and deletes. Bounded: each dnsperf run lasts DURATION seconds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dnsperf as runDnsperf } from '../support/dnsperf';
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { withNetns } from '@app/kernel';
import { DnsServer, MemoryDnsBackend } from '@app/dns';

const DURATION = 5;
const LATENCY_QUERIES = 3000;
const NAMES = ['web', 'db', 'cache', 'api', 'worker'];
const SANDBOX = 'f'.repeat(64);

function backend(): MemoryDnsBackend {
  const b = new MemoryDnsBackend();
  b.upsertNetwork({ id: 'n1', name: 'bench' });
  b.upsertEndpoint({ networkId: 'n1', endpointId: 'self', containerId: SANDBOX, name: 'self', ipv4: '10.77.0.2' });
  NAMES.forEach((name, i) =>
    b.upsertEndpoint({ networkId: 'n1', endpointId: `e${i}`, containerId: `${i}`.repeat(64), name, ipv4: `10.77.0.${10 + i}` }),
  );
  return b;
}

/** The baseline: a fixed answer with the query's id patched in. */
async function baseline(address: string): Promise<{ port: number; close: () => void }> {
  const answer = packet.encode({
    id: 0, type: 'response', flags: packet.RECURSION_AVAILABLE,
    questions: [{ name: 'web', type: 'A' }], answers: [{ name: 'web', type: 'A', ttl: 10, data: '10.77.0.10' }],
  });
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m, r) => {
    const out = Buffer.from(answer);
    out[0] = m[0];
    out[1] = m[1];
    sock.send(out, r.port, r.address);
  });
  await new Promise<void>((res) => sock.bind(0, address, () => res()));
  return { port: sock.address().port, close: () => sock.close() };
}

const dnsperf = (server: string, port: number, queryFile: string, ns?: string) => runDnsperf(server, port, queryFile, DURATION, ns);

/** Median and p99 in ms of sequential queries (next sent when the previous answer arrives). */
async function latency(address: string, port: number): Promise<{ median: number; p99: number }> {
  const sock = dgram.createSocket('udp4');
  const times: number[] = [];
  const queries = NAMES.map((name, i) => packet.encode({ id: i, type: 'query', questions: [{ name, type: 'A' }] }));
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  for (let i = 0; i < LATENCY_QUERIES; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('latency probe: no answer in 1 s')), 1000);
      sock.once('message', () => (clearTimeout(timer), res()));
      sock.send(queries[i % queries.length], port, address);
    });
    if (i >= 200) times.push(Number(process.hrtime.bigint() - t0) / 1e6); // after warm-up
  }
  sock.close();
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] };
}

const sh = (...a: string[]): void => void execFileSync(a[0], a.slice(1), { stdio: 'pipe', timeout: 10_000 });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'netd-bench-dns-'));
  const queryFile = join(dir, 'queries');
  writeFileSync(queryFile, NAMES.map((n) => `${n} A\n`).join(''));
  const tag = randomBytes(3).toString('hex');
  const host = `netd-b-h-${tag}`;
  const ctr = `netd-b-c-${tag}`;
  try {
    // 1. Loopback, same conditions for both.
    const base = await baseline('127.0.0.1');
    const server = new DnsServer(backend());
    const l = await server.listenUdp({ address: '127.0.0.1', port: 0, scope: { sandbox: SANDBOX } });
    const baseQps = await dnsperf('127.0.0.1', base.port, queryFile);
    const netdQps = await dnsperf('127.0.0.1', l.port, queryFile);
    const baseLat = await latency('127.0.0.1', base.port);
    const netdLat = await latency('127.0.0.1', l.port);
    base.close();
    await server.close();
    console.log(`loopback  baseline: ${baseQps.toFixed(0)} q/s, ${baseLat.median.toFixed(3)} ms median (p99 ${baseLat.p99.toFixed(3)})`);
    console.log(`loopback  netd:     ${netdQps.toFixed(0)} q/s, ${netdLat.median.toFixed(3)} ms median (p99 ${netdLat.p99.toFixed(3)})`);
    console.log(`ratio netd/baseline: throughput ${(netdQps / baseQps).toFixed(2)}, latency ${(netdLat.median / baseLat.median).toFixed(2)}`);
    console.log('reference (measured with dnsperf, the target netd aims at): Docker 79k q/s, 0.071 ms; aardvark-dns 59k q/s, 0.083 ms');

    // 2. Placement: a "host" ns and a "container" ns joined by a veth.
    sh('ip', 'netns', 'add', host);
    sh('ip', 'netns', 'add', ctr);
    sh('ip', '-n', host, 'link', 'add', 'vh', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctr);
    sh('ip', '-n', host, 'addr', 'add', '10.77.0.1/24', 'dev', 'vh');
    sh('ip', '-n', ctr, 'addr', 'add', '10.77.0.2/24', 'dev', 'eth0');
    for (const [ns, dev] of [[host, 'vh'], [ctr, 'eth0'], [host, 'lo'], [ctr, 'lo']]) sh('ip', '-n', ns, 'link', 'set', dev, 'up');
    const b = backend();
    const s2 = new DnsServer(b);
    await s2.listenUdp({ address: '127.0.0.11', port: 53, scope: { sandbox: SANDBOX }, enter: (fn) => withNetns({ path: `/run/netns/${ctr}` }, fn) });
    await s2.listenUdp({ address: '10.77.0.1', port: 53, scope: { network: 'n1' }, enter: (fn) => withNetns({ path: `/run/netns/${host}` }, fn) });
    const inNs = await dnsperf('127.0.0.11', 53, queryFile, ctr);
    const gw = await dnsperf('10.77.0.1', 53, queryFile, ctr);
    await s2.close();
    console.log(`placement 127.0.0.11 in the container ns: ${inNs.toFixed(0)} q/s`);
    console.log(`placement gateway 10.77.0.1 over a veth:  ${gw.toFixed(0)} q/s (ratio ${(gw / inNs).toFixed(2)})`);
  } finally {
    for (const ns of [host, ctr]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
