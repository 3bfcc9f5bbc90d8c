import { hostname } from 'node:os';
import type { Services } from '../composition-root';

export interface TopologyHost {
  readonly id: string;
  readonly name: string;
  readonly address?: string;
  readonly alive: boolean;
  readonly self: boolean;
}

export interface TopologyContainer {
  readonly id: string;
  readonly name: string;
  /** Name of the host it runs on (this daemon's, or a cluster member's for a remote overlay endpoint). */
  readonly host: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  /** The container's state when it is local (running, exited …); remote endpoints are up by definition. */
  readonly state?: string;
}

export interface TopologyNetwork {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly scope: string;
  readonly subnets: readonly string[];
  readonly internal: boolean;
  /** Hosts the network has containers on (this host always, for a local network). */
  readonly hosts: readonly string[];
  readonly containers: readonly TopologyContainer[];
}

export interface Topology {
  readonly host: TopologyHost;
  /** Cluster members with this node first; just this host outside a cluster. */
  readonly hosts: readonly TopologyHost[];
  readonly networks: readonly TopologyNetwork[];
}

/** What the page shows, read from the store and the cluster view at request time. */
export function topologyOf(rt: Services): Topology {
  const discovery = rt.cluster.active;
  const members = discovery?.members() ?? [];
  const selfMember = members.find((m) => m.self);
  const localName = selfMember?.info?.name ?? hostname();
  const host: TopologyHost = { id: rt.engineId, name: localName, address: selfMember?.info?.advertiseAddr.toString(), alive: true, self: true };
  const memberName = new Map(members.map((m) => [m.id, m.info?.name ?? m.id.slice(0, 12)]));
  const hosts = [
    host,
    ...members.filter((m) => !m.self).map((m) => ({ id: m.id, name: memberName.get(m.id)!, address: m.info?.advertiseAddr.toString(), alive: m.alive, self: false })),
  ];
  const sandboxes = new Map(rt.store.listSandboxes().map((s) => [s.id, s]));
  const states = new Map(rt.containers.list().map((c) => [c.id, c.state.status as string]));
  const endpoints = rt.store.listEndpoints().filter((e) => e.state === 'active');
  const networks = rt.store
    .listNetworks()
    .filter((n) => n.state === 'active')
    .map((n): TopologyNetwork => {
      const containers: TopologyContainer[] = endpoints
        .filter((e) => e.networkId === n.id)
        .map((e) => ({
          id: e.sandboxId,
          name: (sandboxes.get(e.sandboxId)?.name ?? e.sandboxId.slice(0, 12)).replace(/^\//, ''),
          host: localName,
          ipv4: e.ipv4,
          ipv6: e.ipv6,
          state: states.get(e.sandboxId),
        }));
      // a cluster-wide network (scope swarm, as dockerd's overlays) also has other hosts' endpoints
      if (n.scope === 'swarm' && discovery) {
        for (const p of discovery.peers(n.id)) {
          if (selfMember && p.node === selfMember.id) continue;
          containers.push({ id: p.endpointId, name: p.name, host: memberName.get(p.node) ?? p.node.slice(0, 12), ...(p.ip.family === 4 ? { ipv4: p.ip.toString() } : { ipv6: p.ip.toString() }) });
        }
      }
      containers.sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name));
      const onHosts = new Set([localName, ...containers.map((c) => c.host)]);
      return {
        id: n.id,
        name: n.name,
        driver: n.driver,
        scope: n.scope,
        subnets: n.ipam.config.map((c) => c.Subnet).filter((s): s is string => !!s),
        internal: n.internal,
        hosts: [...onHosts].sort(),
        containers,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { host, hosts, networks };
}
