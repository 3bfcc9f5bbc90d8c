import { bridgeJson, describeAsRoot, ipJson, nsExec } from '@app/kernel/testing';
import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { api } from '../apps/netd/src/testing/netd-process';
import { type ClusterHost, docker, type OverlayCluster, startOverlayCluster, status } from './support/overlay-cluster';
import { until } from './support/until';
import { prng } from '@app/common/testing';
import { Prefix } from '@app/common';
import { blockLengthFor } from '@app/overlay';

// Five simulated hosts under seeded fault schedules while containers start and stop on every host
// as fast as it answers: one host isolated, a 2|3 split, a "bridge" host that sees both sides of a
// split (the segment's switch filters frames between the sides in its own namespace), a host's
// underlay link flapping, and kill -9 plus restart. After each schedule heals:
// - no address on two live containers;
// - every live container's name resolves in a container on every host to its address, and only to it;
// - every host's vxlan device holds exactly the FDB entries (MAC → VTEP of the container's host)
//   and permanent neighbours (IP → MAC) of the live containers of the other hosts: nothing stale,
//   nothing missing;
// - every block of the subnet is free or held by exactly one member, every host shows the same
//   holders (network inspect and cluster status), every container sits in a block its host holds,
//   and every held block has a live container of its holder (no block leaked by a kill);
// - no daemon logged an error other than a 503 (what a partition or a restart explains).
// NEMESIS_E2E_SCHEDULES (default 20) and NEMESIS_E2E_SEED (first seed) pick the schedules; `npm run
// soak` runs many more. The seed of a failing schedule is printed with the command to replay it.
const SCHEDULES = Number(process.env.NEMESIS_E2E_SCHEDULES ?? 20);
const FIRST_SEED = Number(process.env.NEMESIS_E2E_SEED ?? randomInt(1, 1_000_000));
jest.setTimeout(120_000 + SCHEDULES * 60_000);

const HOSTS = 5;
const NODE_TIMEOUT_S = 2;
const FAULTS_PER_SCHEDULE = 2;
/**
 * A partition or a kill holds until every host it concerns has seen the other side down (which
 * takes past the node timeout), at least a node timeout and a heartbeat tick, then a seeded while
 * longer, with churn throughout. A fault that never shows within this long did not take: the
 * schedule fails.
 */
const TAKE_HOLD_MS = 15_000;
const EXTRA_HOLD_MAX_MS = 1000;
/** Running containers each host keeps while churning: it starts one and removes the oldest beyond. */
const POPULATION = 4;

type Fault =
  | { kind: 'isolate'; host: number; extraMs: number }
  | { kind: 'split'; a: number[]; b: number[]; extraMs: number }
  | { kind: 'bridge'; a: number[]; b: number[]; bridge: number; extraMs: number }
  | { kind: 'kill'; host: number; extraMs: number }
  /** The host's underlay link goes down and up again: [down ms, up ms] pairs, in order. */
  | { kind: 'flap'; host: number; pattern: [number, number][] };

const KINDS = ['isolate', 'split', 'bridge', 'kill', 'flap'] as const;

function faultsFor(seed: number): Fault[] {
  const r = prng(seed);
  const order = () => [0, 1, 2, 3, 4].sort(() => r() - 0.5);
  const ms = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo));
  return Array.from({ length: FAULTS_PER_SCHEDULE }, (): Fault => {
    const o = order();
    const kind = KINDS[Math.floor(r() * KINDS.length)];
    const extraMs = ms(0, EXTRA_HOLD_MAX_MS);
    if (kind === 'isolate') return { kind, host: o[0], extraMs };
    if (kind === 'split') return { kind, a: o.slice(0, 2), b: o.slice(2), extraMs };
    if (kind === 'bridge') return { kind, a: o.slice(0, 2), b: o.slice(3), bridge: o[2], extraMs };
    if (kind === 'kill') return { kind, host: o[0], extraMs };
    // Mostly blips shorter than the node timeout (connections must ride them out), now and then
    // one past it (the others see the host go and come back), for about four seconds in all.
    const pattern: [number, number][] = [];
    for (let total = 0; total < 4000; ) {
      const down = r() < 0.2 ? ms(NODE_TIMEOUT_S * 1000 + 200, NODE_TIMEOUT_S * 1000 + 1200) : ms(50, 700);
      const up = ms(50, 500);
      pattern.push([down, up]);
      total += down + up;
    }
    return { kind, host: o[0], pattern };
  });
}

interface Live {
  id: string;
  name: string;
  serial: number;
  running: boolean;
  ip?: string;
  mac?: string;
}

interface Timing {
  seed: number;
  kinds: string[];
  faults: number[];
  converge: number;
  settle: number;
  checks: number;
  total: number;
}

describeAsRoot('overlay cluster under seeded partitions, link flaps and restarts (e2e nemesis)', () => {
  let cluster: OverlayCluster | undefined;
  const tag = randomBytes(3).toString('hex');
  const subnet = `10.${randomInt(64, 128)}.${randomInt(0, 255)}.0/24`;
  let networkId = '';
  let serial = 0;
  const timings: Timing[] = [];
  const bridgeNs = () => cluster!.segment.bridgeNs.name;
  const vxlan = () => `vx-${networkId.slice(0, 12)}`;
  const hostName = (i: number) => cluster!.hosts[i].name;

  /** The segment's switch drops frames between the two sides (both ways); the bridge host's port is on neither. */
  async function split(a: number[], b: number[]): Promise<void> {
    const ports = (xs: number[]) => `{ ${xs.map((i) => `"p${i + 1}"`).join(', ')} }`;
    await nsExec(bridgeNs(), 'nft', ['-f', '-'], `table bridge nemesis {
      chain split { type filter hook forward priority 0; policy accept;
        iifname ${ports(a)} oifname ${ports(b)} drop
        iifname ${ports(b)} oifname ${ports(a)} drop
      }
    }\n`);
  }

  async function heal(): Promise<void> {
    await nsExec(bridgeNs(), 'nft', ['delete', 'table', 'bridge', 'nemesis']).catch(() => undefined);
    for (const h of cluster!.segment.hosts) await cluster!.segment.setLink(h, true);
  }

  async function containersOf(h: ClusterHost): Promise<Live[]> {
    const list = ((await api(h.netd.socket, 'GET', '/containers/json?all=1')).body ?? []) as {
      Id: string;
      Names: string[];
      State: string;
      NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; MacAddress?: string }> };
    }[];
    return list.map((c) => {
      const name = c.Names[0].replace(/^\//, '');
      const nem = c.NetworkSettings?.Networks?.nem;
      return { id: c.Id, name, serial: Number(name.split('-')[2] ?? 0), running: c.State === 'running', ip: nem?.IPAddress || undefined, mac: nem?.MacAddress || undefined };
    });
  }

  const remove = (h: ClusterHost, c: Live) => api(h.netd.socket, 'DELETE', `/containers/${c.id}?force=1`).catch(() => undefined);

  /**
   * One round on a host: start a container, then remove what is not running and the oldest beyond
   * the population (`last`: the oldest in any case, as long as one stays).
   */
  async function churnOnce(h: ClusterHost, last = false): Promise<void> {
    await docker(h, 'run', '-d', '--name', `nem-${h.host.n}-${serial++}-${tag}`, '--network', 'nem', 'busybox', 'sleep', '3600');
    const all = await containersOf(h);
    const running = all.filter((c) => c.running).sort((x, y) => x.serial - y.serial);
    const keep = last ? Math.max(1, Math.min(POPULATION, running.length - 1)) : POPULATION;
    const doomed = [...all.filter((c) => !c.running), ...running.slice(0, Math.max(0, running.length - keep))];
    await Promise.all(doomed.map((c) => remove(h, c)));
  }

  /** Every host churns on its own, as fast as it answers, until stopped; a host that is down is retried. */
  function churn(): { stop(): Promise<void> } {
    let stopped = false;
    const loops = cluster!.hosts.map(async (h) => {
      while (!stopped) await churnOnce(h).catch(() => sleep(200));
    });
    return {
      async stop() {
        stopped = true;
        await Promise.all(loops);
      },
    };
  }

  /** Who must see whom down for the fault to have taken (hosts by index). */
  function expectedDown(f: Fault): { observer: number; down: number[] }[] {
    const all = [0, 1, 2, 3, 4];
    if (f.kind === 'isolate') return [{ observer: f.host, down: all.filter((i) => i !== f.host) }, ...all.filter((i) => i !== f.host).map((i) => ({ observer: i, down: [f.host] }))];
    if (f.kind === 'split' || f.kind === 'bridge') return [...f.a.map((i) => ({ observer: i, down: f.b })), ...f.b.map((i) => ({ observer: i, down: f.a }))];
    if (f.kind === 'kill') return all.filter((i) => i !== f.host).map((i) => ({ observer: i, down: [f.host] }));
    return [];
  }

  /** What still shows up as ready where it must be down ('' once every observer sees the fault). */
  async function notYetDown(f: Fault): Promise<string> {
    const left: string[] = [];
    for (const { observer, down } of expectedDown(f)) {
      const s = await status(cluster!.hosts[observer]).catch(() => undefined);
      const ready = new Set(((s?.Nodes ?? []) as { Name: string; State: string }[]).filter((n) => n.State === 'ready').map((n) => n.Name));
      const still = down.map(hostName).filter((n) => ready.has(n));
      if (!s || still.length > 0) left.push(`${hostName(observer)} still sees ${s ? still.join(',') : '(no answer)'} ready`);
    }
    return left.join('; ');
  }

  async function flap(f: Extract<Fault, { kind: 'flap' }>): Promise<void> {
    const host = cluster!.hosts[f.host].host;
    for (const [down, up] of f.pattern) {
      await cluster!.segment.setLink(host, false);
      await sleep(down);
      await cluster!.segment.setLink(host, true);
      await sleep(up);
    }
  }

  /** Apply a fault and hold it (see TAKE_HOLD_MS), then heal it. */
  async function run(f: Fault): Promise<void> {
    const hs = cluster!.hosts;
    if (f.kind === 'flap') {
      await flap(f);
      return;
    }
    if (f.kind === 'isolate') await cluster!.segment.setLink(hs[f.host].host, false);
    else if (f.kind === 'split' || f.kind === 'bridge') await split(f.a, f.b);
    else await cluster!.kill(hs[f.host]);
    const applied = Date.now();
    const deadline = applied + TAKE_HOLD_MS;
    for (;;) {
      const left = await notYetDown(f);
      if (!left) break;
      if (Date.now() > deadline) throw new Error(`the ${f.kind} fault did not take within ${TAKE_HOLD_MS} ms: ${left}`);
      await sleep(200);
    }
    // at least a node timeout and a heartbeat tick in any case: after a fault on the same hosts the
    // other side may show down already, before this one has held for anything
    await sleep(Math.max(0, applied + NODE_TIMEOUT_S * 1000 + 1000 - Date.now()) + f.extraMs);
    await heal();
    if (f.kind === 'kill') {
      readErrors([hs[f.host]]);
      await cluster!.start(hs[f.host]);
    }
  }

  async function converged(): Promise<void> {
    await until('every host sees five ready members', async () => {
      for (const h of cluster!.hosts) {
        const s = await status(h);
        if (s.Nodes.filter((x: { State: string }) => x.State === 'ready').length !== HOSTS) return false;
      }
      return true;
    }, 60_000, 200);
  }

  /**
   * Poll `probe` (what is wrong, empty: nothing) until it finds nothing or `ms` pass; returns what
   * it found last, so a failure lists the exact entries, names or blocks.
   */
  async function settled(probe: () => Promise<string[]>, ms = 15_000, everyMs = 300): Promise<string[]> {
    const end = Date.now() + ms;
    for (;;) {
      const problems = await probe().catch((e: Error) => [`probe failed: ${e.message}`]);
      if (problems.length === 0 || Date.now() > end) return problems;
      await sleep(everyMs);
    }
  }

  function uniqueAddresses(byHost: { h: ClusterHost; cs: Live[] }[]): string[] {
    const problems: string[] = [];
    const owners = new Map<string, string>();
    for (const { h, cs } of byHost) {
      for (const c of cs) {
        if (!c.running || !c.ip) continue;
        const other = owners.get(c.ip);
        if (other) problems.push(`address ${c.ip} on ${other} and ${c.name} (${h.name})`);
        owners.set(c.ip, `${c.name} (${h.name})`);
      }
    }
    return problems;
  }

  /** Every host's vxlan device against the live containers of the other hosts. */
  async function dataPath(byHost: { h: ClusterHost; cs: Live[] }[]): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(byHost.map(async ({ h }) => {
      const wantFdb = new Map<string, string>();
      const wantNeigh = new Map<string, string>();
      for (const { h: g, cs } of byHost) {
        if (g === h) continue;
        for (const c of cs) {
          if (!c.running || !c.ip) continue;
          if (!c.mac) {
            problems.push(`${c.name} on ${g.name} shows no MAC address on nem`);
            continue;
          }
          wantFdb.set(c.mac, `${g.host.ipv4} (${c.name} on ${g.name})`);
          wantNeigh.set(c.ip, c.mac);
        }
      }
      const fdb = (await bridgeJson<{ mac: string; dst?: string }[]>(h.host.ns.name, ['fdb', 'show', 'dev', vxlan()])).filter((e) => e.dst !== undefined);
      const neigh = (await ipJson<{ dst: string; lladdr?: string; state?: string[] }[]>(h.host.ns.name, ['neigh', 'show', 'dev', vxlan()])).filter((n) => n.state?.includes('PERMANENT'));
      const haveFdb = new Set<string>();
      for (const e of fdb) {
        haveFdb.add(e.mac);
        const want = wantFdb.get(e.mac);
        if (!want) problems.push(`${h.name}: stale FDB entry ${e.mac} dst ${e.dst} (no live container of another host has that MAC)`);
        else if (!want.startsWith(`${e.dst} `)) problems.push(`${h.name}: FDB entry ${e.mac} dst ${e.dst}, want ${want}`);
      }
      for (const [mac, want] of wantFdb) if (!haveFdb.has(mac)) problems.push(`${h.name}: no FDB entry for ${mac} → ${want}`);
      const haveNeigh = new Set<string>();
      for (const n of neigh) {
        haveNeigh.add(n.dst);
        const mac = wantNeigh.get(n.dst);
        if (!mac) problems.push(`${h.name}: stale neighbour ${n.dst} lladdr ${n.lladdr} (no live container of another host has that address)`);
        else if (mac !== n.lladdr) problems.push(`${h.name}: neighbour ${n.dst} lladdr ${n.lladdr}, want ${mac}`);
      }
      for (const [ip, mac] of wantNeigh) if (!haveNeigh.has(ip)) problems.push(`${h.name}: no neighbour ${ip} lladdr ${mac}`);
    }));
    return problems;
  }

  /** The blocks of the subnet as every host shows them, against the live containers. */
  async function blocks(byHost: { h: ClusterHost; cs: Live[] }[]): Promise<string[]> {
    const problems: string[] = [];
    type Holders = { Name: string; Blocks: string[] }[];
    const canon = (v: Holders) => JSON.stringify(v.filter((x) => x.Blocks.length > 0).map((x) => [x.Name, [...x.Blocks].sort()]).sort());
    const views = await Promise.all(cluster!.hosts.map(async (h) => {
      const inspect = ((await api(h.netd.socket, 'GET', `/networks/${networkId}`)).body.NetdBlocks ?? []) as Holders;
      // the same holders through the cluster status (`nem/<block>` per node)
      const nodes = (await status(h)).Nodes as { Name: string; Blocks: string[] }[];
      const fromStatus = nodes.map((n) => ({ Name: n.Name, Blocks: n.Blocks.filter((b) => b.startsWith('nem/')).map((b) => b.slice(4)) }));
      if (canon(inspect) !== canon(fromStatus)) problems.push(`${h.name}: network inspect shows ${canon(inspect)}, cluster status ${canon(fromStatus)}`);
      return inspect;
    }));
    const distinct = new Set(views.map(canon));
    if (distinct.size !== 1) problems.push(`hosts disagree on block holders: ${cluster!.hosts.map((h, i) => `${h.name} ${canon(views[i])}`).join(' | ')}`);
    const [base, len] = subnet.split('/');
    // as the network was made: with every host a member
    const blockLen = blockLengthFor(Prefix.parse(subnet), HOSTS);
    const total = 2 ** (blockLen - Number(len));
    const held = new Map<string, string>();
    const members = new Set(cluster!.hosts.map((h) => h.name));
    for (const x of views[0]) {
      if (x.Blocks.length > 0 && !members.has(x.Name)) problems.push(`blocks ${x.Blocks.join(',')} held by ${x.Name || '(unnamed)'}, not a member`);
      for (const b of x.Blocks) {
        const [addr, bl] = b.split('/');
        if (Number(bl) !== blockLen || !inBlock(`${base}/${len}`, addr) || toInt(addr) % 2 ** (32 - blockLen) !== 0) problems.push(`${x.Name} holds ${b}, not a /${blockLen} block of ${subnet}`);
        if (held.has(b)) problems.push(`block ${b} held by ${held.get(b)} and ${x.Name}`);
        held.set(b, x.Name);
      }
    }
    if (held.size > total) problems.push(`${held.size} blocks held of ${total}`);
    for (const { h, cs } of byHost) {
      const mine = views[0].find((x) => x.Name === h.name)?.Blocks ?? [];
      for (const c of cs) if (c.running && c.ip && !mine.some((b) => inBlock(b, c.ip!))) problems.push(`${c.name} on ${h.name} has ${c.ip} outside its host's blocks ${mine.join(',') || '(none)'}`);
      // settle() ends with a removal on every host, which gives back the blocks it left empty
      for (const b of mine) if (!cs.some((c) => c.ip && inBlock(b, c.ip))) problems.push(`${h.name} holds ${b} with none of its containers in it (leaked)`);
    }
    return problems;
  }

  /** Every live container's name, looked up in one container of every host (one exec per host, in parallel). */
  async function names(byHost: { h: ClusterHost; cs: Live[] }[]): Promise<string[]> {
    const targets = byHost.flatMap(({ cs }) => cs.filter((c) => c.running && c.ip));
    const problems: string[] = [];
    await Promise.all(byHost.map(async ({ h, cs }) => {
      const from = cs.find((c) => c.running && c.ip);
      if (!from) return void problems.push(`${h.name} has no running container to resolve from`);
      const script = targets.map((t) => `echo "@@ ${t.name}"; nslookup ${t.name} 127.0.0.11 2>&1`).join('; ');
      const { out } = await docker(h, 'exec', from.id, 'sh', '-c', script);
      const answers = new Map<string, string[]>();
      let current = '';
      for (const line of out.split('\n')) {
        const head = /^@@ (\S+)$/.exec(line.trim());
        if (head) answers.set((current = head[1]), []);
        // busybox prints the answers as `Address: <ip>` (1.36) or `Address 1: <ip> <name>` (older); the server's own line carries its port
        const addr = /^Address(?: \d+)?:\s+(\d+\.\d+\.\d+\.\d+)(?:\s|$)/.exec(line.trim());
        if (addr && current && addr[1] !== '127.0.0.11') answers.get(current)!.push(addr[1]);
      }
      for (const t of targets) {
        const got = answers.get(t.name) ?? [];
        if (got.length !== 1 || got[0] !== t.ip) problems.push(`${t.name} resolves on ${h.name} to [${got.join(', ')}], want ${t.ip}`);
      }
    }));
    return problems;
  }

  /** Where each daemon's log was read up to (a restarted host has a new daemon, read from its start). */
  const logRead = new WeakMap<object, number>();

  /**
   * Errors the daemons logged since the last look: what a partition explains is a 503, so any
   * other error (a 500, a crash of a background task) is a bug whatever the fault.
   */
  const logged: string[] = [];
  function readErrors(hosts = cluster!.hosts): void {
    for (const h of hosts) {
      const text = h.netd.logs();
      const from = logRead.get(h.netd) ?? 0;
      logRead.set(h.netd, text.length);
      for (const line of text.slice(from).split('\n')) {
        // a 503 is logged as an error by the HTTP layer like any 5xx, but it is the answer a
        // partition or a restart that has not reached its cluster yet explains
        if (/"level":(5|6)\d/.test(line) && !line.includes('"type":"UnavailableError"')) logged.push(`${h.name} logged: ${line.slice(0, 600)}`);
      }
    }
  }
  function daemonErrors(): string[] {
    readErrors();
    return logged.splice(0);
  }

  async function check(): Promise<string[]> {
    const snapshot = async () => Promise.all(cluster!.hosts.map(async (h) => ({ h, cs: await containersOf(h) })));
    const byHost = await snapshot();
    const problems = [...daemonErrors(), ...uniqueAddresses(byHost)];
    // nothing churns now: the live containers stay as they are, the rest must converge to them
    problems.push(...(await settled(() => blocks(byHost))));
    problems.push(...(await settled(() => dataPath(byHost))));
    problems.push(...(await settled(() => names(byHost), 15_000, 500)));
    const after = await snapshot();
    const changed = (xs: { cs: Live[] }[]) => JSON.stringify(xs.map(({ cs }) => cs.map((c) => `${c.id} ${c.running} ${c.ip}`).sort()));
    if (changed(after) !== changed(byHost)) problems.push('the containers changed while nothing churned');
    return problems;
  }

  beforeAll(async () => {
    cluster = await startOverlayCluster(HOSTS, { 'node-timeout': NODE_TIMEOUT_S });
    const created = await docker(cluster.hosts[0], 'network', 'create', '-d', 'overlay', '--attachable', '--subnet', subnet, 'nem');
    if (created.rc !== 0) throw new Error(created.out);
    networkId = created.out.trim();
    for (const h of cluster.hosts) await until(`nem on ${h.name}`, async () => (await docker(h, 'network', 'ls')).out.includes(' nem '), 10_000);
  });

  afterAll(async () => {
    await heal().catch(() => undefined);
    await cluster?.dispose();
    if (timings.length === 0) return;
    const avg = (f: (t: Timing) => number) => Math.round(timings.reduce((s, t) => s + f(t), 0) / timings.length);
    const kinds = new Map<string, number>();
    for (const t of timings) for (const k of t.kinds) kinds.set(k, (kinds.get(k) ?? 0) + 1);
    console.log(`nemesis: ${timings.length} schedules, mean ${avg((t) => t.total)} ms (faults ${avg((t) => t.faults.reduce((a, b) => a + b, 0))}, converge ${avg((t) => t.converge)}, settle ${avg((t) => t.settle)}, checks ${avg((t) => t.checks)}); faults: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  });

  it(`keeps addresses unique, names resolvable, the data path exact and blocks held once through ${SCHEDULES} seeded schedules`, async () => {
    for (let k = 0; k < SCHEDULES; k++) {
      const seed = FIRST_SEED + k;
      const faults = faultsFor(seed);
      const t0 = Date.now();
      const t: Timing = { seed, kinds: faults.map((f) => f.kind), faults: [], converge: 0, settle: 0, checks: 0, total: 0 };
      const churning = churn();
      try {
        try {
          for (const f of faults) {
            const s = Date.now();
            await run(f);
            t.faults.push(Date.now() - s);
          }
        } finally {
          await heal();
          await churning.stop();
        }
        let s = Date.now();
        await converged();
        t.converge = Date.now() - s;
        s = Date.now();
        // a last start and removal on every host: what the checks see is the state after a
        // removal, when every block its host left empty has been given back
        await Promise.all(cluster!.hosts.map((h) => churnOnce(h, true)));
        t.settle = Date.now() - s;
        s = Date.now();
        const problems = await check();
        t.checks = Date.now() - s;
        if (problems.length > 0) throw new Error(problems.join('\n'));
        t.total = Date.now() - t0;
        timings.push(t);
        console.log(`nemesis seed ${seed} (${t.kinds.join(', ')}): invariants hold, ${t.total} ms (faults ${t.faults.join('+')}, converge ${t.converge}, settle ${t.settle}, checks ${t.checks})`);
      } catch (e) {
        console.log(`nemesis: FAILED seed ${seed}: ${JSON.stringify(faults)} — replay with NEMESIS_E2E_SEED=${seed} NEMESIS_E2E_SCHEDULES=1`);
        for (const h of cluster!.hosts) {
          // the host's endpoints on nem as its store has them, against its containers as listed
          const eps = await api(h.netd.socket, 'GET', `/networks/${networkId}`).then((r) => Object.entries((r.body?.Containers ?? {}) as Record<string, { Name: string; IPv4Address: string }>).map(([id, c]) => `${c.Name} ${c.IPv4Address} ${id.slice(0, 12)}`), () => ['(no answer)']);
          const cs = await containersOf(h).then((l) => l.map((c) => `${c.name} ${c.running ? 'running' : 'not running'} ${c.ip ?? '-'} ${c.id.slice(0, 12)}`), () => ['(no answer)']);
          console.log(`${h.name}: endpoints on nem: ${eps.join(', ')}\ncontainers: ${cs.join(', ')}\nwarn+:\n${h.netd.logs().split('\n').filter((l) => /"level":(4|5|6)\d/.test(l)).slice(-15).join('\n')}`);
        }
        throw e;
      }
    }
  });
});

const toInt = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);

function inBlock(block: string, ip: string): boolean {
  const [base, len] = block.split('/');
  const size = 2 ** (32 - Number(len));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}
