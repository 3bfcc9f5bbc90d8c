// bench/overlay (e): join time and convergence at five hosts. Five host namespaces on an L3
// segment, one node process per host inside its namespace (./host-worker.ts: HyperswarmDiscovery
// bound to the host's segment address feeding a real OverlayDriver there), a private 3-node DHT
// testnet in the segment's bridge namespace as the only bootstrap. Every bootstrap list handed to
// hyperdht is checked to hold the segment's addresses only (never the public bootstrap nodes).
//   cold formation — all five start together (the testnet as bootstrap, nothing else) until every
//     one sees the four others ready (alive and its node record present);
//   join — four members formed (host 1, then three joining with a token: host 1's DHT address plus
//     the testnet, host 1's key to dial), then the fifth starts with a token of the four: until
//     (a) it sees the four ready and (b) each of the four sees it ready;
//   voters — the same runs, until every host counts all as voters (each admission confirmed by a
//     majority of the voters, one at a time: only then can the cluster make claims without them);
//   convergence — on the formed five-host cluster, from an endpoint's announcement on host 1 to its
//     FDB and neighbour entries programmed on all four other hosts, and to a first ping answered
//     from a sandbox on the host that was last to program it. The same-run baseline is the same
//     measurement on a two-host cluster of the same processes, transport and segment.
// A fresh cluster key per run: a topic's announcements outlive a stopped node in the DHT, and a
// later run dialling them would wait for nothing. Times are taken in the host processes on the
// machine's monotonic clock; the ready set is polled every 5 ms (part of each figure).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { eventually } from '@app/common/testing';
import { run } from '@app/kernel/testing';
import { createClusterKey } from '@app/overlay';
import { assertTestAddresses, type DhtTestnet, startDhtTestnet } from '../../e2e/support/dht-testnet';
import { createL3Segment, type L3Segment, type SegmentHost } from '../../e2e/support/l3-segment';
import { type AttachResult, HOST_WORKER_ENV, type HostWorkerConfig, type StartArgs, type StartResult } from './host-worker';

const HOSTS = 5;
const COLD_RUNS = Number(process.env.OVERLAY_CLUSTER5_COLD_RUNS ?? 3);
const JOIN_RUNS = Number(process.env.OVERLAY_CLUSTER5_JOINS ?? 5);
const CONVERGE_N = Number(process.env.OVERLAY_CLUSTER5_CONVERGE_N ?? 20);
const DHT_PORT = 7946;
const WAIT_MS = 60_000;
const CONVERGE_WAIT_MS = 15_000;

export interface Convergence {
  /** Per endpoint: ms from the announcement to the entries programmed on every other host. */
  readonly programmed: number[];
  /** Per endpoint: ms from the announcement to a first ping answered from the last host. */
  readonly ping: number[];
  /** Per endpoint: ms to the entries programmed on the first host to have them. */
  readonly first: number[];
  /** Per endpoint: ms to the announcement delivered (the `add` event) on the last host. */
  readonly delivered: number[];
}

export interface Cluster5Figures {
  readonly hosts: number;
  /** ms from the first start() to every host seeing all the others ready. */
  readonly cold: number[];
  /** ms from the fifth node's start() to it seeing the four others ready. */
  readonly joinerSees: number[];
  /** ms from the fifth node's start() to the last of the four seeing it ready. */
  readonly seenByAll: number[];
  /** ms from the first start() to every host counting all five as voters (admissions confirmed). */
  readonly coldVoters: number[];
  /** ms from the fifth node's start() to every host counting it as a voter. */
  readonly joinVoters: number[];
  readonly converge5: Convergence;
  readonly converge2: Convergence;
  /** Bootstrap lists checked to hold the segment's addresses only. */
  readonly bootstrapChecks: number;
}

const elapsed = (from: bigint, to: bigint) => Number(to - from) / 1e6;

class HostProcess {
  readonly ready: { ids: string[]; t: bigint }[] = [];
  readonly voters: { n: number; t: bigint }[] = [];
  readonly programmed = new Map<string, bigint>();
  readonly delivered = new Map<string, bigint>();
  readonly sandboxes: string[] = [];
  started?: StartResult;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = '';
  private readonly exited: Promise<void>;

  private constructor(
    readonly host: SegmentHost,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`host ${host.n} process exited (${code ?? signal}): ${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
    child.stderr!.on('data', (b: Buffer) => (this.stderr = (this.stderr + b.toString()).slice(-8000)));
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
  }

  /** The bench's own bundle, started again inside the host's namespace as {@link runHostWorker}. */
  static spawn(host: SegmentHost): HostProcess {
    const cfg: HostWorkerConfig = { name: `h${host.n}`, hostNs: host.ns.ref.path, address: host.ipv4, dhtPort: DHT_PORT };
    const child = spawn('nsenter', [`--net=${host.ns.ref.path}`, process.execPath, process.argv[1]], {
      env: { ...process.env, [HOST_WORKER_ENV]: JSON.stringify(cfg) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new HostProcess(host, child);
  }

  private onLine(line: string): void {
    let msg: { id?: number; ok?: boolean; result?: unknown; error?: string; ev?: string; ids?: string[]; n?: number; endpointId?: string; t?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      return; // a library's stray output
    }
    if (msg.ev === 'ready') this.ready.push({ ids: msg.ids!, t: BigInt(msg.t!) });
    else if (msg.ev === 'voters') this.voters.push({ n: msg.n!, t: BigInt(msg.t!) });
    else if (msg.ev === 'programmed') this.programmed.set(msg.endpointId!, BigInt(msg.t!));
    else if (msg.ev === 'delivered') this.delivered.set(msg.endpointId!, BigInt(msg.t!));
    else if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.result);
      else p?.reject(new Error(`host ${this.host.n}: ${msg.error}`));
    }
  }

  call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(JSON.stringify({ ...args, id, cmd }) + '\n');
    });
  }

  async start(args: StartArgs): Promise<StartResult> {
    this.ready.length = 0;
    this.voters.length = 0;
    this.programmed.clear();
    this.delivered.clear();
    this.started = await this.call<StartResult>('start', args as unknown as Record<string, unknown>);
    return this.started;
  }

  async stop(): Promise<void> {
    await this.call('stop');
    this.started = undefined;
  }

  async attach(networkId: string): Promise<AttachResult> {
    const a = await this.call<AttachResult>('attach', { networkId });
    this.sandboxes.push(a.ns);
    return a;
  }

  get nodeId(): string {
    if (!this.started) throw new Error(`host ${this.host.n} is not started`);
    return this.started.nodeId;
  }

  /** When this node first saw a ready set satisfying `cond` (undefined: not yet). */
  readyAt(cond: (ids: string[]) => boolean): bigint | undefined {
    return this.ready.find((r) => cond(r.ids))?.t;
  }

  /** When this node first counted `n` voters (undefined: not yet). */
  votersAt(n: number): bigint | undefined {
    return this.voters.find((v) => v.n >= n)?.t;
  }

  /** Close stdin: the worker stops, removes what it made and exits; killed by PID if it does not. */
  async dispose(): Promise<void> {
    this.child.stdin!.end();
    const killer = setTimeout(() => this.child.pid && this.child.exitCode === null && process.kill(this.child.pid, 'SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(killer);
    // a worker killed mid-run leaves its sandboxes
    for (const ns of this.sandboxes) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}

export async function measureCluster5(): Promise<Cluster5Figures> {
  let segment: L3Segment | undefined;
  let testnet: DhtTestnet | undefined;
  const procs: HostProcess[] = [];
  try {
    segment = await createL3Segment(HOSTS);
    const seg = segment;
    testnet = await startDhtTestnet(seg.bridgeNs, seg.bridgeIpv4, (a) => seg.owns(a));
    for (const h of seg.hosts) procs.push(HostProcess.spawn(h));
    const figures = { hosts: HOSTS, cold: [] as number[], joinerSees: [] as number[], seenByAll: [] as number[], coldVoters: [] as number[], joinVoters: [] as number[], bootstrapChecks: 0 };
    const bootstrap = testnet.bootstrap.map((b) => ({ ...b }));

    const start = async (p: HostProcess, key: string, founder: boolean, token?: HostProcess[]): Promise<StartResult> => {
      const tokenBootstrap = token ? [token[0].started!.dhtAddress] : [];
      const r = await p.start({ key, bootstrap: [...tokenBootstrap, ...bootstrap], peers: (token ?? []).map((t) => t.nodeId), founder });
      if (r.dhtConfig.bootstrap.length === 0) throw new Error(`host ${p.host.n}: empty bootstrap list`);
      assertTestAddresses(`host ${p.host.n}'s DHT bootstrap`, [...r.dhtConfig.bootstrap, { host: r.dhtConfig.host, port: 0 }], (a) => seg.owns(a));
      figures.bootstrapChecks++;
      return r;
    };
    const sees = (p: HostProcess, others: HostProcess[]) => {
      const want = others.filter((o) => o !== p).map((o) => o.nodeId);
      return p.readyAt((ids) => want.every((w) => ids.includes(w)));
    };
    const formed = (ps: HostProcess[]) => eventually(`${ps.length} hosts formed`, () => ps.every((p) => sees(p, ps) !== undefined), WAIT_MS, 5);
    const voting = (ps: HostProcess[]) => eventually(`${ps.length} voters`, () => ps.every((p) => p.votersAt(ps.length) !== undefined), WAIT_MS, 5);
    const allVoteAt = (ps: HostProcess[]) => ps.map((p) => p.votersAt(ps.length)!).reduce((a, b) => (a > b ? a : b));
    const stopAll = async () => {
      for (const p of procs) if (p.started) await p.stop();
    };
    /** Host 1 first, the others at once with a token of host 1. */
    const grow = async (ps: HostProcess[], key: string) => {
      await start(ps[0], key, true);
      await Promise.all(ps.slice(1).map((p) => start(p, key, false, [ps[0]])));
      await formed(ps);
      await voting(ps);
    };

    for (let r = 0; r < JOIN_RUNS; r++) {
      const key = Buffer.from(createClusterKey()).toString('hex');
      const members = procs.slice(0, HOSTS - 1);
      const joiner = procs[HOSTS - 1];
      await grow(members, key);
      const { t0 } = await start(joiner, key, false, members);
      const all = [...members, joiner];
      await formed(all);
      figures.joinerSees.push(elapsed(BigInt(t0), sees(joiner, all)!));
      figures.seenByAll.push(Math.max(...members.map((m) => elapsed(BigInt(t0), m.readyAt((ids) => ids.includes(joiner.nodeId))!))));
      await voting(all);
      figures.joinVoters.push(elapsed(BigInt(t0), allVoteAt(all)));
      await stopAll();
    }

    for (let r = 0; r < COLD_RUNS; r++) {
      const key = Buffer.from(createClusterKey()).toString('hex');
      const started = await Promise.all(procs.map((p, i) => start(p, key, i === 0)));
      await formed(procs);
      const first = started.map((s) => BigInt(s.t0)).reduce((a, b) => (a < b ? a : b));
      figures.cold.push(Math.max(...procs.map((p) => elapsed(first, sees(p, procs)!))));
      await voting(procs);
      figures.coldVoters.push(elapsed(first, allVoteAt(procs)));
      if (r < COLD_RUNS - 1) await stopAll();
    }
    const converge5 = await converge(procs, 'bench5', '10.216.0.0/16');
    await stopAll();

    const pair = procs.slice(0, 2);
    await grow(pair, Buffer.from(createClusterKey()).toString('hex'));
    const converge2 = await converge(pair, 'bench2', '10.217.0.0/16');
    await stopAll();
    return { ...figures, converge5, converge2 };
  } finally {
    for (const p of procs) await p.dispose().catch(() => undefined);
    await testnet?.stop().catch(() => undefined);
    await segment?.dispose();
  }
}

/**
 * Announcements from the first host of a formed cluster, one at a time: each endpoint a sandbox
 * joined on host 1, then announced; timed until every other host programmed it, then pinged from
 * the sandbox on the host that was last. Every other host has one sandbox of its own, announced
 * and programmed everywhere before the timing starts.
 */
async function converge(ps: HostProcess[], name: string, subnet: string): Promise<Convergence> {
  const [origin, ...others] = ps;
  const { id: networkId } = await origin.call<{ id: string }>('createNetwork', { name, subnet });
  await eventually(`network ${name} on every host`, async () => (await Promise.all(ps.map((p) => p.call<boolean>('hasNetwork', { networkId })))).every(Boolean), WAIT_MS, 20);
  const programmedOn = (hosts: HostProcess[], endpointId: string) => eventually(`endpoint ${endpointId.slice(0, 12)} programmed`, () => hosts.every((h) => h.programmed.has(endpointId)), CONVERGE_WAIT_MS, 2);
  const pingers = new Map<HostProcess, AttachResult>();
  for (const p of others) {
    const a = await p.attach(networkId);
    pingers.set(p, a);
    await p.call('announce', { endpointId: a.endpointId });
    await programmedOn(
      ps.filter((x) => x !== p),
      a.endpointId,
    );
  }
  const c: Convergence = { programmed: [], ping: [], first: [], delivered: [] };
  for (let i = 0; i < CONVERGE_N; i++) {
    const a = await origin.attach(networkId);
    const { t } = await origin.call<{ t: string }>('announce', { endpointId: a.endpointId });
    const t0 = BigInt(t);
    await programmedOn(others, a.endpointId);
    const last = others.reduce((x, y) => (y.programmed.get(a.endpointId)! > x.programmed.get(a.endpointId)! ? y : x));
    c.programmed.push(elapsed(t0, last.programmed.get(a.endpointId)!));
    c.delivered.push(Math.max(...others.map((o) => elapsed(t0, o.delivered.get(a.endpointId)!))));
    c.first.push(Math.min(...others.map((o) => elapsed(t0, o.programmed.get(a.endpointId)!))));
    const from = pingers.get(last)!.ns;
    let ok = false;
    for (let k = 0; k < 20 && !ok; k++) ok = spawnSync('nsenter', [`--net=/run/netns/${from}`, 'ping', '-c1', '-W1', a.ip], { timeout: 5000 }).status === 0;
    if (!ok) throw new Error(`no ping from host ${last.host.n} to ${a.ip}`);
    c.ping.push(elapsed(t0, process.hrtime.bigint()));
  }
  // What the kernel holds, not only what the drivers reported: every remote endpoint, once.
  const total = ps.length - 1 + CONVERGE_N;
  for (const p of ps) {
    const own = p === origin ? CONVERGE_N : 1;
    const n = await p.call<number>('fdbCount', { networkId });
    if (n !== total - own) throw new Error(`host ${p.host.n}: ${n} remote FDB entries in ${name}, expected ${total - own}`);
  }
  return c;
}
