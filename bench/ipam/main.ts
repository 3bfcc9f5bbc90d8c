/**
 * IPAM benchmark (`npm run bench -- ipam`). Prints ops/s, the last-1% / first-1% time ratio of a
 * /16 fill, the free-subnet search time among 1,000 pools, and IPv6 heap use per prefix size.
 * Baseline measured in the same run: a trivial Set<number> + counter allocator over the /16.
 * Every loop is bounded; the run takes a few seconds.
 */
import { IpAddr, Prefix } from '@app/common';
import { DefaultIpam, MemoryIpamStore } from '@app/ipam';

const ROUNDS = 9;
const SLASH16 = 65536;
const USABLE16 = SLASH16 - 3; // network, broadcast, gateway
const ONE_PERCENT = Math.floor(USABLE16 / 100);

const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
let seed = 12345;
const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;

function freshPool(subnet: string): { ipam: DefaultIpam; poolId: string } {
  const ipam = new DefaultIpam({ store: new MemoryIpamStore(), hostId: 'bench-host' });
  return { ipam, poolId: ipam.requestPool('bench', { addressSpace: 'local', subnet: Prefix.parse(subnet) }).poolId };
}

/** The floor: a Set<number> and a counter, the least an allocator with a cursor can do. */
function floorFill(): number {
  const taken = new Set<number>();
  let cursor = 1;
  const t0 = now();
  for (let i = 0; i < USABLE16; i++) {
    while (taken.has(cursor)) cursor = cursor >= SLASH16 - 2 ? 1 : cursor + 1;
    taken.add(cursor);
  }
  return now() - t0;
}

interface FillTimes {
  total: number;
  first1: number;
  last1: number;
  addresses: IpAddr[];
}

function fill(ipam: DefaultIpam, poolId: string): FillTimes {
  const addresses: IpAddr[] = new Array(USABLE16);
  let first1 = 0;
  let mark1 = 0;
  const t0 = now();
  for (let i = 0; i < USABLE16; i++) {
    if (i === ONE_PERCENT) first1 = now() - t0;
    if (i === USABLE16 - ONE_PERCENT) mark1 = now();
    addresses[i] = ipam.requestAddress(poolId);
  }
  const end = now();
  return { total: end - t0, first1, last1: end - mark1, addresses };
}

function benchSlash16(): void {
  fill(freshPool('10.200.0.0/16').ipam, 'local/10.200.0.0/16'); // warm-up for the JIT
  floorFill();
  const floor: number[] = [];
  const fills: number[] = [];
  const ratios: number[] = [];
  const releases: number[] = [];
  const refills: number[] = [];
  const scattered: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    floor.push(floorFill());
    const { ipam, poolId } = freshPool('10.1.0.0/16');
    const f = fill(ipam, poolId);
    fills.push(f.total);
    ratios.push(f.last1 / f.first1);

    let t0 = now();
    for (const a of f.addresses) ipam.releaseAddress(poolId, a);
    releases.push(now() - t0);
    refills.push(fill(ipam, poolId).total);

    // Nearly full, with the free addresses scattered: free 1% at random, take it back; 9 cycles.
    const cycles: number[] = [];
    let held = f.addresses;
    for (let c = 0; c < 9; c++) {
      const picked = new Set<number>();
      while (picked.size < ONE_PERCENT) picked.add(Math.floor(rand() * USABLE16));
      const kept = held.filter((_, i) => !picked.has(i));
      for (const i of picked) ipam.releaseAddress(poolId, held[i]);
      t0 = now();
      for (let i = 0; i < ONE_PERCENT; i++) kept.push(ipam.requestAddress(poolId));
      cycles.push(now() - t0);
      held = kept;
    }
    scattered.push(median(cycles) / f.first1);
  }
  const opsPerSec = (ms: number) => (USABLE16 / ms) * 1000;
  const ipamOps = opsPerSec(median(fills));
  const floorOps = opsPerSec(median(floor));
  console.log(`/16 (${fmt(USABLE16)} addresses, MemoryIpamStore, median of ${ROUNDS} rounds)`);
  console.log(`  fill:          ${fmt(ipamOps)} allocations/s   [target >= 1,000,000: ${mark(ipamOps >= 1e6)}]`);
  console.log(`  floor Set+ctr: ${fmt(floorOps)} allocations/s   (ipam takes ${(floorOps / ipamOps).toFixed(2)}x the floor's time)`);
  console.log(`  release all:   ${fmt(opsPerSec(median(releases)))} releases/s`);
  console.log(`  refill:        ${fmt(opsPerSec(median(refills)))} allocations/s`);
  const ratio = median(ratios);
  console.log(`  last 1% / first 1% of the fill: ${ratio.toFixed(2)}   [target <= 2: ${mark(ratio <= 2)}]`);
  const sc = median(scattered);
  console.log(`  nearly full, 1% freed at random and retaken / first 1%: ${sc.toFixed(2)}   [target <= 2: ${mark(sc <= 2)}]`);
}

/** Wall time of one call, in ms. */
function sample(fn: () => void): number {
  const t0 = now();
  fn();
  return now() - t0;
}

function benchFreeSubnet(): void {
  const ipam = new DefaultIpam({ store: new MemoryIpamStore() });
  for (let i = 0; i < 1000; i++) ipam.requestPool(`n${i}`, { addressSpace: 'global' });
  const contiguous: number[] = [];
  for (let i = 0; i < 1020; i++) {
    let poolId = '';
    if (i === 20) contiguous.length = 0; // the first 20 warm up the JIT
    contiguous.push(sample(() => (poolId = ipam.requestPool('probe', { addressSpace: 'global' }).poolId)));
    ipam.releasePool(poolId);
  }

  // Worst case: each of 1,000 /24 candidates is half used by a /25, so the search skips all of them.
  const ipam2 = new DefaultIpam({ store: new MemoryIpamStore() });
  for (let i = 0; i < 1000; i++) {
    ipam2.requestPool(`n${i}`, { addressSpace: 'global', subnet: Prefix.parse(`10.${i >> 8}.${i & 255}.128/25`) });
  }
  const skipping: number[] = [];
  let found = '';
  for (let i = 0; i < 220; i++) {
    let poolId = '';
    if (i === 20) skipping.length = 0;
    skipping.push(sample(() => {
      const p = ipam2.requestPool('probe', { addressSpace: 'global' });
      [poolId, found] = [p.poolId, p.subnet.toString()];
    }));
    ipam2.releasePool(poolId);
  }
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];
  const report = (name: string, xs: number[]) => {
    const m = median(xs);
    console.log(`  ${name}: median ${us(m)}, p99 ${us(p99(xs))} (GC pauses included)   [target < 1 ms: ${mark(m < 1)}]`);
  };
  console.log('free /24 among 1,000 pools (global space, time of requestPool)');
  report('1,000 contiguous pools', contiguous);
  report(`1,000 blocking /25s, found ${found}`, skipping);
}

function heapAfter(fn: () => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep = fn();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (keep === undefined) throw new Error('unreachable');
  return after - before;
}

function benchV6(): void {
  const store = new MemoryIpamStore();
  const ipam = new DefaultIpam({ store, hostId: 'bench-host' });
  const pool = ipam.requestPool('v6', { addressSpace: 'local', family: 6 });
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const n = 100_000;
  const t0 = now();
  for (let i = 0; i < n; i++) ipam.requestAddress(pool.poolId);
  const ms = now() - t0;
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  if (ipam.usage(pool.poolId).ipsInUse !== BigInt(n + 2)) throw new Error('v6 allocations lost'); // keeps ipam alive
  console.log(`IPv6 ${pool.subnet}: ${fmt(n)} allocations at ${fmt((n / ms) * 1000)} allocations/s`);
  console.log(`  heap used: ${(heap0 / 1e6).toFixed(1)} MB before, ${(heap1 / 1e6).toFixed(1)} MB after (+${((heap1 - heap0) / 1e6).toFixed(1)} MB, store strings included)`);

  const m = 50_000;
  const deltas: number[] = [];
  for (const len of [64, 96, 112]) {
    const delta = heapAfter(() => {
      const { ipam: i6, poolId } = freshPool(`fd00:b:c:d::/${len}`);
      for (let k = 0; k < m; k++) i6.requestAddress(poolId);
      return i6;
    });
    deltas.push(delta);
    const bitmapBytes = 2 ** (128 - len) / 8;
    console.log(`  /${len}: +${(delta / 1e6).toFixed(2)} MB for ${fmt(m)} allocations (a bitmap of the range would be ${(bitmapBytes / 1e6).toExponential(1)} MB)`);
  }
  const spread = (Math.max(...deltas) - Math.min(...deltas)) / Math.min(...deltas);
  console.log(`  spread between prefix sizes: ${(spread * 100).toFixed(1)}%   [target: independent of prefix size: ${mark(spread < 0.2)}]`);
}

for (const section of [benchSlash16, benchFreeSubnet, benchV6]) {
  gc(); // each section starts without the previous one's garbage
  section();
}
