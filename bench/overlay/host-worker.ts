// bench/overlay: one cluster host of the 5-host part (./cluster5.ts), as its own node process run
// inside the host's namespace of the segment, so that its DHT node and gossip bind to the host's own
// segment address (the control plane crosses the segment, as between real hosts) and its event loop
// is its own. It runs the daemon's cluster pieces without the daemon: a HyperswarmDiscovery (fresh
// identity per start, the bootstrap list given by the parent, never empty and never public) feeding
// a real OverlayDriver in this namespace.
//
// Commands arrive as JSON lines on stdin ({ id, cmd, ...args }) and are answered on stdout
// ({ id, ok, result } or { id, ok: false, error }); events go out on stdout unasked:
//   ready      — the set of other members this node sees ready (alive, node record present) changed;
//   voters     — the number of voting members this node counts changed (admissions confirmed);
//   delivered  — a remote endpoint's announcement reached this node (its `add` event);
//   programmed — the driver finished writing that endpoint's FDB and neighbour entries.
// Every time is process.hrtime (CLOCK_MONOTONIC, one clock for every process of the machine) in ns.
import { createInterface } from 'node:readline';
import { generateId, IpAddr, type MacAddr, Prefix } from '@app/common';
import { OPTION_VXLANID_LIST, OverlayDriver } from '@app/drivers';
import { NftFirewall, ProcSysctl, RtNetlink } from '@app/kernel';
import { createTempNetns, type TempNetns } from '@app/kernel/testing';
import { createNodeIdentity, type DhtAddress, HyperswarmDiscovery, type PeerEvent } from '@app/overlay';

export const HOST_WORKER_ENV = 'NETD_BENCH_OVERLAY_HOST';

/** What the parent hands a worker in {@link HOST_WORKER_ENV}. */
export interface HostWorkerConfig {
  readonly name: string;
  /** The host namespace's path (the worker runs inside it). */
  readonly hostNs: string;
  /** The host's segment address: VTEP and DHT bind address. */
  readonly address: string;
  readonly dhtPort: number;
}

export interface StartArgs {
  readonly key: string;
  readonly bootstrap: DhtAddress[];
  /** Public keys (hex) to dial at start, as a join token's. */
  readonly peers: string[];
  readonly founder: boolean;
}

export interface StartResult {
  readonly nodeId: string;
  /** When start() was called. */
  readonly t0: string;
  /** The bootstrap list and bind address handed to hyperdht. */
  readonly dhtConfig: { bootstrap: DhtAddress[]; host: string };
  readonly dhtAddress: DhtAddress;
}

export interface AttachResult {
  readonly ns: string;
  readonly ip: string;
  readonly endpointId: string;
}

const now = () => process.hrtime.bigint().toString();
const out = (msg: unknown) => process.stdout.write(JSON.stringify(msg) + '\n');
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const READY_POLL_MS = 5;

export async function runHostWorker(): Promise<void> {
  const cfg = JSON.parse(process.env[HOST_WORKER_ENV] ?? '') as HostWorkerConfig;
  const hostNs = { path: cfg.hostNs };
  const vtep = IpAddr.parse(cfg.address);
  const netlink = new RtNetlink();
  const firewall = new NftFirewall();
  const driver = new OverlayDriver({ netlink, firewall, sysctl: new ProcSysctl(), hostNs, vtep: () => vtep });
  const sandboxes: TempNetns[] = [];
  const networks = new Set<string>();
  const blocks = new Map<string, { block: Prefix; next: bigint }>();
  const endpoints = new Map<string, { networkId: string; ip: IpAddr; mac: MacAddr; name: string }>();
  let discovery: HyperswarmDiscovery | undefined;
  let poll: NodeJS.Timeout | undefined;
  let failure: unknown;

  const onEvent = (d: HyperswarmDiscovery) => (e: PeerEvent) => {
    if (d !== discovery) return;
    if (e.kind === 'network-add') {
      const n = e.network;
      driver
        .createNetwork({ networkId: n.id, name: n.name, options: driver.parseOptions({ [OPTION_VXLANID_LIST]: String(n.vni) }), internal: false, enableIpv6: false, ipv4: [{ subnet: n.subnet, gateway: n.gateway }], ipv6: [] })
        .then(() => {
          networks.add(n.id);
          d.join(n.id);
        })
        .catch((err) => (failure ??= err));
    } else if (e.kind === 'add' || e.kind === 'remove') {
      const { peer } = e;
      const remote = peer.vtep.toString() !== cfg.address;
      if (e.kind === 'add' && remote) out({ ev: 'delivered', endpointId: peer.endpointId, t: now() });
      driver
        .onPeerEvent(peer.networkId, e)
        .then(() => {
          if (e.kind === 'add' && remote) out({ ev: 'programmed', endpointId: peer.endpointId, t: now() });
        })
        .catch((err) => (failure ??= err));
    }
  };

  const stop = async () => {
    clearInterval(poll);
    const d = discovery;
    discovery = undefined;
    await d?.stop().catch(() => undefined);
    for (const id of networks) await driver.deleteNetwork(id).catch(() => undefined);
    networks.clear();
    blocks.clear();
    endpoints.clear();
    for (const s of sandboxes.splice(0)) await s.dispose().catch(() => undefined);
  };

  const commands: Record<string, (a: Record<string, unknown>) => Promise<unknown>> = {
    async start(a): Promise<StartResult> {
      const args = a as unknown as StartArgs;
      if (discovery) throw new Error('already started');
      if (args.bootstrap.length === 0) throw new Error('an explicit, non-empty local bootstrap list is required');
      const d = new HyperswarmDiscovery({
        clusterKey: hex(args.key),
        identity: createNodeIdentity(),
        bootstrap: args.bootstrap,
        host: cfg.address,
        port: cfg.dhtPort,
        peers: args.peers.map(hex),
        founder: args.founder,
        node: { name: cfg.name, advertiseAddr: vtep, dhtPort: cfg.dhtPort },
      });
      discovery = d;
      d.subscribe(onEvent(d));
      let last = '';
      let voters = -1;
      poll = setInterval(() => {
        const v = d.voters().length;
        if (v !== voters) {
          voters = v;
          out({ ev: 'voters', n: v, t: now() });
        }
        const ids = d
          .members()
          .filter((m) => !m.self && m.alive && m.info)
          .map((m) => m.id)
          .sort();
        const key = ids.join(',');
        if (key !== last) {
          last = key;
          out({ ev: 'ready', ids, t: now() });
        }
      }, READY_POLL_MS);
      const t0 = now();
      await d.start();
      return { nodeId: d.nodeId, t0, dhtConfig: d.dhtConfig, dhtAddress: d.dhtAddress! };
    },
    async stop() {
      await stop();
    },
    async createNetwork(a) {
      const subnet = Prefix.parse(String(a.subnet));
      const net = await live().createNetwork({ id: generateId(), name: String(a.name), subnet, gateway: subnet.nth(1n), blockLength: 24, internal: false, attachable: true, options: {} });
      return { id: net.id, vni: net.vni };
    },
    async hasNetwork(a) {
      if (failure) throw failure;
      return networks.has(String(a.networkId));
    },
    /** A sandbox joined to the network on this host (not announced yet). */
    async attach(a): Promise<AttachResult> {
      const networkId = String(a.networkId);
      let b = blocks.get(networkId);
      if (!b) {
        b = { block: await live().leaseBlock(networkId), next: 2n };
        blocks.set(networkId, b);
      }
      const ns = await createTempNetns();
      sandboxes.push(ns);
      const ip = b.block.nth(b.next++);
      const endpointId = generateId();
      const { mac } = await driver.createEndpoint({ networkId, endpointId, addresses: [Prefix.of(ip, subnetLength(networkId))] });
      await driver.join({ networkId, endpointId, sandbox: ns.ref, ifname: 'eth0', defaultRoute: true });
      endpoints.set(endpointId, { networkId, ip, mac, name: ns.name });
      return { ns: ns.name, ip: ip.toString(), endpointId };
    },
    async announce(a) {
      const ep = endpoints.get(String(a.endpointId));
      if (!ep) throw new Error(`no endpoint ${String(a.endpointId)}`);
      const t = now();
      live().announce({ networkId: ep.networkId, endpointId: String(a.endpointId), name: ep.name, aliases: [], ip: ep.ip, mac: ep.mac, vtep });
      return { t };
    },
    /** Remote entries in the network's vxlan FDB, as the kernel lists them. */
    async fdbCount(a) {
      await driver.idle();
      const id = String(a.networkId);
      return (await netlink.listFdbEntries(hostNs, `vx-${id.slice(0, 12)}`)).filter((e) => e.dst !== undefined).length;
    },
  };

  const subnetLength = (networkId: string) => {
    const n = live()
      .networks()
      .find((x) => x.id === networkId);
    if (!n) throw new Error(`no network ${networkId}`);
    return n.subnet.length;
  };
  const live = () => {
    if (failure) throw failure;
    if (!discovery) throw new Error('not started');
    return discovery;
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as { id: number; cmd: string } & Record<string, unknown>;
    const fn = commands[msg.cmd];
    (fn ? fn(msg) : Promise.reject(new Error(`unknown command ${msg.cmd}`))).then(
      (result) => out({ id: msg.id, ok: true, result }),
      (err: unknown) => out({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  // The parent closing stdin (or dying) ends the worker, which removes what it made.
  await new Promise<void>((resolve) => lines.once('close', resolve));
  await stop();
  netlink.close();
  firewall.close();
}
