// bench/firewall: does a bridge network cost the same at 1,000 networks as at 1?
// In a "host" namespace made here, with 1, 100 and 1,000 bridge networks already present
// (created through the BridgeDriver on the real kernel), it times R rounds of create + delete of
// one more network through the driver: the whole call and its firewall step (Firewall.update,
// a delta). Same run, same levels:
//   floor (nft)   one libnftables transaction adding one element to a set of the table;
//   floor (ip)    one `ip -batch` making a bridge with an address, up (create), one deleting it;
//   full replace  what every change used to cost: the whole table replaced in one transaction
//                 (today's O(n) text; the old O(n²) text cost more).
// Prints medians, ratios to the floors and growth 1,000 vs 1; removes everything at the end.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { generateId, Prefix } from '@app/common';
import { InProcessNetns, NftFirewall, ProcSysctl, RtNetlink } from '@app/kernel';
import type { NftDelta, NftTable } from '@app/kernel/firewall.port';
import { LibNftRunner } from '@app/kernel/nft/lib-nft-runner';
import { BridgeDriver, renderFirewall } from '@app/drivers';

const LEVELS = (process.env.FIREWALL_LEVELS ?? '1,100,1000').split(',').map(Number);
const ROUNDS = Number(process.env.FIREWALL_ROUNDS ?? 30);
const tag = randomBytes(3).toString('hex');
const HOST = `netd-b-fw-${tag}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => x.toFixed(3).padStart(8);
const subnet = (i: number) => Prefix.parse(`10.${100 + (i >> 8)}.${i & 255}.0/24`);

function ipBatch(input: string): void {
  const r = spawnSync('ip', ['-n', HOST, '-batch', '-'], { input, stdio: ['pipe', 'ignore', 'pipe'], timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip -batch: ${r.stderr?.toString().trim()}`);
}

interface Row { level: number; create: number; del: number; fwCreate: number; fwDelete: number; floorNft: number; floorIp: number; floorIpDel: number; full: number }

async function main(): Promise<void> {
  const netns = new InProcessNetns();
  const hostNs = await netns.create(HOST);
  const netlink = new RtNetlink();
  const firewall = new NftFirewall({ runner: 'libnftables' });
  const runner = new LibNftRunner();
  const fwTimes: number[] = [];
  const paths: string[] = [];
  const update = firewall.update.bind(firewall);
  firewall.update = async (ns, delta: NftDelta) => {
    const t0 = performance.now();
    const path = await update(ns, delta);
    fwTimes.push(performance.now() - t0);
    paths.push(path);
    return path;
  };
  // Per-step times of the create calls, from the driver's step log (a step ends where the next begins).
  let step: { name: string; at: number } | undefined;
  let steps: Map<string, number[]> | undefined;
  const closeStep = () => {
    if (step && steps) steps.set(step.name, [...(steps.get(step.name) ?? []), performance.now() - step.at]);
    step = undefined;
  };
  const logger = {
    debug: (o: object) => {
      closeStep();
      const name = (o as { step?: string }).step;
      if (name) step = { name, at: performance.now() };
    },
    info: () => undefined,
    warn: () => undefined,
  };
  const driver = new BridgeDriver({ netlink, firewall, sysctl: new ProcSysctl(), hostNs, logger });
  const stepRows: { level: number; steps: Map<string, number[]> }[] = [];
  const create = (i: number, id = generateId()) =>
    driver
      .createNetwork({ networkId: id, name: `n${i}`, options: driver.parseOptions({}), internal: false, enableIpv6: false, ipv4: [{ subnet: subnet(i), gateway: subnet(i).nth(1n) }], ipv6: [] })
      .then(() => id);
  const rows: Row[] = [];
  try {
    let count = 0;
    for (const level of LEVELS) {
      while (count < level) await create(count++);
      const r = { create: [] as number[], del: [] as number[], fwCreate: [] as number[], fwDelete: [] as number[], floorNft: [] as number[], floorIp: [] as number[], floorIpDel: [] as number[], full: [] as number[] };
      paths.length = 0;
      const levelSteps = new Map<string, number[]>();
      for (let k = 0; k < ROUNDS; k++) {
        // The three kinds alternate, so load from other processes weighs on all alike.
        let t0 = performance.now();
        steps = levelSteps;
        const id = await create(count);
        closeStep();
        steps = undefined;
        r.create.push(performance.now() - t0);
        r.fwCreate.push(fwTimes.at(-1)!);
        t0 = performance.now();
        await driver.deleteNetwork(id);
        r.del.push(performance.now() - t0);
        r.fwDelete.push(fwTimes.at(-1)!);

        t0 = performance.now();
        const add = await runner.run(hostNs, `add element inet netd bridges { "fl-${k}" }\n`);
        r.floorNft.push(performance.now() - t0);
        const del = await runner.run(hostNs, `delete element inet netd bridges { "fl-${k}" }\n`);
        if (add.code !== 0 || del.code !== 0) throw new Error(`floor nft: ${add.stderr}${del.stderr}`);

        t0 = performance.now();
        ipBatch(`link add fl${k} type bridge\naddr add ${subnet(2000).nth(1n)}/24 dev fl${k}\nlink set fl${k} up\n`);
        r.floorIp.push(performance.now() - t0);
        t0 = performance.now();
        ipBatch(`link del fl${k}\n`);
        r.floorIpDel.push(performance.now() - t0);
      }
      // A full replace of a table of this level, in a table of its own.
      const nets = renderFirewallOfLevel(count);
      for (let k = 0; k < Math.min(ROUNDS, 10); k++) {
        const t0 = performance.now();
        const res = await runner.run(hostNs, `table inet netd_old {}\ndelete table inet netd_old\ntable inet netd_old {\n${nets.body}\n}\n`);
        r.full.push(performance.now() - t0);
        if (res.code !== 0) throw new Error(`full replace: ${res.stderr}`);
      }
      if (paths.some((p) => p !== 'delta')) throw new Error(`expected only deltas at ${level} networks, got ${paths.join(',')}`);
      stepRows.push({ level, steps: levelSteps });
      rows.push({ level, create: median(r.create), del: median(r.del), fwCreate: median(r.fwCreate), fwDelete: median(r.fwDelete), floorNft: median(r.floorNft), floorIp: median(r.floorIp), floorIpDel: median(r.floorIpDel), full: median(r.full) });
    }
    const lines = await runner.run(hostNs, 'list table inet netd\n');
    console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; rounds per level ${ROUNDS}; table text ${lines.stdout.length} bytes at ${count} networks`);
    console.log('networks |   create   delete | fw create fw delete | floor nft  ip add   ip del | full replace | create/ip  delete/ip  fw/nft');
    for (const x of rows) {
      console.log(
        `${String(x.level).padStart(8)} | ${ms(x.create)} ${ms(x.del)} | ${ms(x.fwCreate)}  ${ms(x.fwDelete)} | ${ms(x.floorNft)} ${ms(x.floorIp)} ${ms(x.floorIpDel)} | ${ms(x.full)}     | ${(x.create / x.floorIp).toFixed(2).padStart(7)}× ${(x.del / x.floorIpDel).toFixed(2).padStart(7)}× ${(x.fwCreate / x.floorNft).toFixed(2).padStart(6)}×`,
      );
    }
    console.log(`create steps (median ms): ${stepRows.map((x) => `${x.level}: ${[...x.steps].map(([n, v]) => `${n} ${median(v).toFixed(2)}`).join(', ')}`).join(' | ')}`);
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (rows.length > 1) {
      console.log(`growth ${last.level} vs ${first.level} networks: create ${(last.create / first.create).toFixed(2)}×, delete ${(last.del / first.del).toFixed(2)}×, firewall step ${(last.fwCreate / first.fwCreate).toFixed(2)}× (create) ${(last.fwDelete / first.fwDelete).toFixed(2)}× (delete); floors nft ${(last.floorNft / first.floorNft).toFixed(2)}×, ip add ${(last.floorIp / first.floorIp).toFixed(2)}×; full replace ${(last.full / first.full).toFixed(2)}×`);
    }
  } finally {
    runner.close();
    firewall.close();
    netlink.close();
    await netns.delete(HOST);
  }
}

/** The same table the driver holds at `n` networks, for timing the old full replace. */
function renderFirewallOfLevel(n: number): NftTable {
  return renderFirewall(
    Array.from({ length: n }, (_, i) => ({
      bridge: `br-${i.toString(16).padStart(12, '0')}`,
      internal: false,
      icc: true,
      masquerade: true,
      subnets: [subnet(i)],
      gateways: [subnet(i).nth(1n)],
      ports: [],
      published: [],
    })),
    'netd_old',
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
