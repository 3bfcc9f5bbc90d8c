import { toRecord } from '@app/api';
import type { Db } from './database';

export type RecordState = 'creating' | 'active' | 'deleting';

/** The user's IPAM request as Docker shows it back (IPAM.Config entries). */
export interface IpamView {
  driver: string;
  options: Record<string, string> | null;
  config: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[];
}

export interface NetworkRecord {
  id: string;
  name: string;
  driver: string;
  scope: string;
  created: string;
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  enableIpv4: boolean;
  enableIpv6: boolean;
  predefined: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  ipam: IpamView;
  /** The subnet was given by the user (static addresses are allowed only then). */
  userSubnet: boolean;
  poolIds: string[];
  state: RecordState;
}

export interface SandboxRecord {
  id: string;
  name: string;
  created: string;
  /** Set for a container's sandbox (then equal to `id`). */
  containerId?: string;
  /** Namespace name under the netns dir when it differs from `name`. */
  netns?: string;
}

/** A legacy link on a user network: `alias` resolves to `container` for the linking sandbox only. */
export interface EndpointLink {
  container: string;
  alias: string;
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  sandboxId: string;
  ifname: string;
  mac?: string;
  /** Address with the subnet's prefix length, e.g. 172.18.0.2/16. */
  ipv4?: string;
  poolId?: string;
  /** IPv6 address with the subnet's prefix length, on networks with EnableIPv6. */
  ipv6?: string;
  poolId6?: string;
  aliases: string[];
  links?: EndpointLink[];
  state: RecordState;
}

type Row = Record<string, unknown>;

const toNetwork = (r: Row): NetworkRecord => ({
  id: r.id as string,
  name: r.name as string,
  driver: r.driver as string,
  scope: r.scope as string,
  created: r.created as string,
  internal: r.internal === 1,
  attachable: r.attachable === 1,
  ingress: r.ingress === 1,
  enableIpv4: r.enable_ipv4 === 1,
  enableIpv6: r.enable_ipv6 === 1,
  predefined: r.predefined === 1,
  options: toRecord(JSON.parse(r.options as string)) as Record<string, string>,
  labels: toRecord(JSON.parse(r.labels as string)) as Record<string, string>,
  ipam: JSON.parse(r.ipam as string),
  userSubnet: r.user_subnet === 1,
  poolIds: JSON.parse(r.pool_ids as string),
  state: r.state as RecordState,
});

const toEndpoint = (r: Row): EndpointRecord => ({
  id: r.id as string,
  networkId: r.network_id as string,
  sandboxId: r.sandbox_id as string,
  ifname: r.ifname as string,
  mac: (r.mac as string | null) ?? undefined,
  ipv4: (r.ipv4 as string | null) ?? undefined,
  poolId: (r.pool_id as string | null) ?? undefined,
  ipv6: (r.ipv6 as string | null) ?? undefined,
  poolId6: (r.pool_id6 as string | null) ?? undefined,
  aliases: JSON.parse(r.aliases as string),
  links: JSON.parse((r.links as string | undefined) ?? '[]'),
  state: r.state as RecordState,
});

const toSandbox = (r: Row): SandboxRecord => ({
  id: r.id as string,
  name: r.name as string,
  created: r.created as string,
  ...(r.container_id ? { containerId: r.container_id as string } : {}),
  ...(r.netns ? { netns: r.netns as string } : {}),
});

const b = (v: boolean) => (v ? 1 : 0);

/** Network, endpoint and sandbox records. Synchronous; callers group calls in {@link transaction}. */
export class StateStore {
  private readonly s;

  constructor(readonly db: Db) {
    this.s = {
      insertNetwork: db.prepare(`INSERT INTO networks (id, name, driver, scope, created, internal, attachable, ingress,
        enable_ipv4, enable_ipv6, predefined, options, labels, ipam, user_subnet, pool_ids, state)
        VALUES (@id, @name, @driver, @scope, @created, @internal, @attachable, @ingress, @enable_ipv4, @enable_ipv6,
        @predefined, @options, @labels, @ipam, @user_subnet, @pool_ids, @state)`),
      networkState: db.prepare('UPDATE networks SET state = ? WHERE id = ?'),
      deleteNetwork: db.prepare('DELETE FROM networks WHERE id = ?'),
      getNetwork: db.prepare('SELECT * FROM networks WHERE id = ?'),
      networkByName: db.prepare('SELECT * FROM networks WHERE name = ? ORDER BY created, id'),
      networks: db.prepare('SELECT * FROM networks ORDER BY created, name'),
      insertEndpoint: db.prepare(`INSERT INTO endpoints (id, network_id, sandbox_id, ifname, mac, ipv4, pool_id, ipv6, pool_id6, aliases, links, state)
        VALUES (@id, @network_id, @sandbox_id, @ifname, @mac, @ipv4, @pool_id, @ipv6, @pool_id6, @aliases, @links, @state)`),
      endpointActive: db.prepare("UPDATE endpoints SET state = 'active', mac = ? WHERE id = ?"),
      endpointState: db.prepare('UPDATE endpoints SET state = ? WHERE id = ?'),
      deleteEndpoint: db.prepare('DELETE FROM endpoints WHERE id = ?'),
      endpoints: db.prepare('SELECT * FROM endpoints'),
      endpointsOf: db.prepare('SELECT * FROM endpoints WHERE network_id = ?'),
      endpointsIn: db.prepare('SELECT * FROM endpoints WHERE sandbox_id = ?'),
      endpointOf: db.prepare('SELECT * FROM endpoints WHERE network_id = ? AND sandbox_id = ?'),
      insertSandbox: db.prepare('INSERT INTO sandboxes (id, name, created, container_id, netns) VALUES (?, ?, ?, ?, ?)'),
      deleteSandbox: db.prepare('DELETE FROM sandboxes WHERE id = ?'),
      renameSandbox: db.prepare('UPDATE sandboxes SET name = ? WHERE id = ?'),
      sandboxes: db.prepare('SELECT * FROM sandboxes ORDER BY name'),
      sandboxByName: db.prepare('SELECT * FROM sandboxes WHERE name = ?'),
      sandboxById: db.prepare('SELECT * FROM sandboxes WHERE id = ?'),
    };
  }

  /**
   * Network records are read on every list/inspect/connect and change rarely, so they are cached
   * here; every write and every failed transaction drops the cache (this process is the only
   * writer of networks).
   */
  private networksCache: NetworkRecord[] | undefined;
  /** The cached records by id (a lookup per endpoint at startup, so not a scan). */
  private networksById: Map<string, NetworkRecord> | undefined;

  /** Run `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      this.networksCache = this.networksById = undefined;
      throw e;
    }
  }

  insertNetwork(n: NetworkRecord): void {
    this.s.insertNetwork.run({
      ...n,
      internal: b(n.internal),
      attachable: b(n.attachable),
      ingress: b(n.ingress),
      enable_ipv4: b(n.enableIpv4),
      enable_ipv6: b(n.enableIpv6),
      predefined: b(n.predefined),
      options: JSON.stringify(n.options),
      labels: JSON.stringify(n.labels),
      ipam: JSON.stringify(n.ipam),
      user_subnet: b(n.userSubnet),
      pool_ids: JSON.stringify(n.poolIds),
    });
    this.networksCache = this.networksById = undefined;
  }

  setNetworkState(id: string, state: RecordState): void {
    this.s.networkState.run(state, id);
    this.networksCache = this.networksById = undefined;
  }

  deleteNetwork(id: string): void {
    this.s.deleteNetwork.run(id);
    this.networksCache = this.networksById = undefined;
  }

  getNetwork(id: string): NetworkRecord | undefined {
    if (this.networksCache) return (this.networksById ??= new Map(this.networksCache.map((n) => [n.id, n]))).get(id);
    const r = this.s.getNetwork.get(id) as Row | undefined;
    return r && toNetwork(r);
  }

  /** The first-created network of that name (names are unique unless an old client asked otherwise). */
  networkByName(name: string): NetworkRecord | undefined {
    const r = this.s.networkByName.get(name) as Row | undefined;
    return r && toNetwork(r);
  }

  /** Every network of that name, oldest first. */
  networksByName(name: string): NetworkRecord[] {
    return (this.s.networkByName.all(name) as Row[]).map(toNetwork);
  }

  listNetworks(): NetworkRecord[] {
    this.networksCache ??= (this.s.networks.all() as Row[]).map(toNetwork);
    return [...this.networksCache];
  }

  insertEndpoint(e: EndpointRecord): void {
    this.s.insertEndpoint.run({
      id: e.id,
      network_id: e.networkId,
      sandbox_id: e.sandboxId,
      ifname: e.ifname,
      mac: e.mac ?? null,
      ipv4: e.ipv4 ?? null,
      pool_id: e.poolId ?? null,
      ipv6: e.ipv6 ?? null,
      pool_id6: e.poolId6 ?? null,
      aliases: JSON.stringify(e.aliases),
      links: JSON.stringify(e.links ?? []),
      state: e.state,
    });
  }

  markEndpointActive(id: string, mac: string): void {
    this.s.endpointActive.run(mac, id);
  }

  setEndpointState(id: string, state: RecordState): void {
    this.s.endpointState.run(state, id);
  }

  deleteEndpoint(id: string): void {
    this.s.deleteEndpoint.run(id);
  }

  listEndpoints(): EndpointRecord[] {
    return (this.s.endpoints.all() as Row[]).map(toEndpoint);
  }

  endpointsOf(networkId: string): EndpointRecord[] {
    return (this.s.endpointsOf.all(networkId) as Row[]).map(toEndpoint);
  }

  endpointsIn(sandboxId: string): EndpointRecord[] {
    return (this.s.endpointsIn.all(sandboxId) as Row[]).map(toEndpoint);
  }

  endpointOf(networkId: string, sandboxId: string): EndpointRecord | undefined {
    const r = this.s.endpointOf.get(networkId, sandboxId) as Row | undefined;
    return r && toEndpoint(r);
  }

  insertSandbox(s: SandboxRecord): void {
    this.s.insertSandbox.run(s.id, s.name, s.created, s.containerId ?? null, s.netns ?? null);
  }

  deleteSandbox(id: string): void {
    this.s.deleteSandbox.run(id);
  }

  /** A container's sandbox follows its renamed container (the DNS answers the sandbox's name). */
  renameSandbox(id: string, name: string): void {
    this.s.renameSandbox.run(name, id);
  }

  listSandboxes(): SandboxRecord[] {
    return (this.s.sandboxes.all() as Row[]).map(toSandbox);
  }

  sandboxByName(name: string): SandboxRecord | undefined {
    const r = this.s.sandboxByName.get(name) as Row | undefined;
    return r && toSandbox(r);
  }

  sandboxById(id: string): SandboxRecord | undefined {
    const r = this.s.sandboxById.get(id) as Row | undefined;
    return r && toSandbox(r);
  }
}
