import type { NetworkInspect, NetworkSummary } from '@app/api';
import {
  ConflictError,
  ForbiddenError,
  InvalidParameterError,
  IpAddr,
  matchLabel,
  NotFoundError,
  Prefix,
  generateId,
  parseTimestamp,
} from '@app/common';
import type { DriverCapabilities } from '@app/drivers/driver-api';
import { canonicalize } from '@app/ipam/canonicalize';
import type { Ipam, PoolRequest } from '@app/ipam/ipam.contract';
import type { EventsService } from '../events/events.service';
import type { NetworkRecord, StateStore } from '../store/state-store';
import type { DriverSet } from './driver-set';
import type { KeyedMutex } from './keyed-mutex';
import type { NetworkLifecycle } from './network-lifecycle';
import { filterNetworks, findNetwork, parseFilters } from './network-lookup';
import { toInspect, toSummary } from './network-view';
import type { GlobalNetworks } from '../cluster/global-networks';

export const PREDEFINED = ['bridge', 'host', 'none'] as const;

/** dockerd's driver option standing for EnableIPv6 (netlabel.EnableIPv6). */
export const ENABLE_IPV6_OPTION = 'com.docker.network.enable_ipv6';

/**
 * A network's `Options` → what its driver parses, and the daemon-level options among them (kept
 * in the record and shown by inspect, as dockerd does). dockerd takes `enable_ipv6` for
 * EnableIPv6: compose files set it in driver_opts.
 */
export function splitOptions(raw: Readonly<Record<string, string>>): { enableIpv6?: boolean; driverOptions: Record<string, string> } {
  const { [ENABLE_IPV6_OPTION]: ipv6, ...driverOptions } = raw;
  return { enableIpv6: ipv6 === undefined ? undefined : parseGoBool(ipv6, ENABLE_IPV6_OPTION), driverOptions };
}

/** Go's strconv.ParseBool, with dockerd's message for a driver option that is not one. */
function parseGoBool(v: string, option: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new InvalidParameterError(`driver-opt "${option}" is not a valid bool`);
}

/** What the controller hands over after DTO validation (camelCase domain shape). */
export interface CreateNetworkInput {
  name: string;
  driver?: string;
  /** Docker's `Scope` (`local`, `global`, `swarm`): honoured when it is the driver's, refused otherwise. */
  scope?: string;
  internal?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  enableIpv4?: boolean;
  enableIpv6?: boolean;
  ipam?: { driver?: string; options?: Record<string, string>; config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[] };
  options?: Record<string, string>;
  labels?: Record<string, string>;
  /** Predefined networks only: skip the name check, mark builtin, fixed created time. */
  predefined?: { created: string };
  /**
   * A name already taken is created again (with a warning) rather than refused: dockerd before
   * API 1.44 when the client did not set CheckDuplicate.
   */
  allowDuplicateName?: boolean;
}

export interface NetworkDeps {
  store: StateStore;
  ipam: Ipam;
  drivers: DriverSet;
  events: EventsService;
  locks: KeyedMutex;
  lifecycle: NetworkLifecycle;
  /** Re-read the host's routes into IPAM before a pool is chosen (they change at runtime). */
  refreshHostRoutes?: () => Promise<void>;
  /** Networks of global-scope drivers go to the cluster; without it they are refused (403). */
  global?: GlobalNetworks;
}

/**
 * The Engine API's networks. Each mutation: record intent in one transaction (state
 * creating/deleting, pools reserved — NetworkLifecycle, shared with cluster networks), do the
 * kernel work, then commit the outcome. A crash in between leaves a state the reconciler
 * finishes or undoes.
 */
export class NetworksService {
  private readonly global?: GlobalNetworks;
  private readonly drivers: DriverSet;
  private readonly events: EventsService;
  private readonly ipam: Ipam;
  private readonly lifecycle: NetworkLifecycle;
  private readonly locks: KeyedMutex;
  private readonly refreshHostRoutes?: () => Promise<void>;
  private readonly store: StateStore;

  constructor(deps: NetworkDeps) {
    this.drivers = deps.drivers;
    this.events = deps.events;
    this.ipam = deps.ipam;
    this.lifecycle = deps.lifecycle;
    this.locks = deps.locks;
    this.refreshHostRoutes = deps.refreshHostRoutes;
    this.store = deps.store;
    this.global = deps.global;
  }

  list(filtersText?: string): NetworkSummary[] {
    const filters = parseFilters(filtersText);
    const nets = filterNetworks(this.store.listNetworks(), filters, (id) => this.store.endpointsOf(id).length);
    return nets.map((n) => toSummary(n, this.drivers.capabilitiesOf(n.driver)));
  }

  find(term: string): NetworkRecord {
    // An exact id or name (what clients mostly send) by index: after any write the full list
    // is re-read and parsed, O(n) per delete or inspect. Same order as findNetwork: id, name, prefix.
    const byId = this.store.getNetwork(term);
    if (byId && byId.state !== 'creating') return byId;
    const named = this.store.networksByName(term).filter((n) => n.state !== 'creating');
    if (named.length > 1) throw new InvalidParameterError(`network ${term} is ambiguous (${named.length} matches found based on name)`);
    return named[0] ?? findNetwork(this.store.listNetworks(), term);
  }

  /** What the network's driver declares it to be (services ask this, never the driver's name). */
  capabilities(n: NetworkRecord): DriverCapabilities {
    return this.drivers.capabilitiesOf(n.driver);
  }

  inspect(term: string): NetworkInspect {
    const n = this.find(term);
    const sandboxes = new Map(this.store.listSandboxes().map((s) => [s.id, s.name]));
    const endpoints = this.store.endpointsOf(n.id).filter((e) => e.state === 'active');
    const usage = n.poolIds.flatMap((id) => {
      const pool = this.ipam.getPool(id);
      return pool ? [{ subnet: pool.subnet.toString(), usage: this.ipam.usage(id) }] : [];
    });
    const inspect = toInspect(n, this.drivers.capabilitiesOf(n.driver), endpoints, sandboxes, usage);
    // netd's own field (Docker has none): the address blocks each cluster node holds.
    return this.isGlobal(n) ? { ...inspect, NetdBlocks: this.global!.blocks(n.id) } : inspect;
  }

  private isGlobal(n: NetworkRecord): boolean {
    return this.global !== undefined && this.drivers.get(n.driver)?.scope === 'global';
  }

  /**
   * The address a new endpoint of this node takes on a global (cluster) network, decided by the
   * cluster (its address blocks); undefined on local networks and for a static address. Called
   * under the network's lock.
   */
  async globalAddress(n: NetworkRecord, poolId: string | undefined, raw?: string): Promise<IpAddr | undefined> {
    if (!this.isGlobal(n) || !poolId) return undefined;
    return this.global!.address(n.id, poolId, raw);
  }

  /** An endpoint of a global network released its address (under the network's lock). */
  globalReleased(n: NetworkRecord): void {
    if (this.isGlobal(n)) this.global!.released(n.id);
  }

  async create(input: CreateNetworkInput): Promise<{ Id: string; Warning: string }> {
    const driverName = input.driver || 'bridge';
    const builtin = input.predefined !== undefined;
    if (!builtin && (PREDEFINED as readonly string[]).includes(input.name)) {
      throw new ForbiddenError(`operation is not permitted on predefined ${input.name} network`);
    }
    const driver = this.drivers.get(driverName);
    if (!driver) throw new NotFoundError(`plugin "${driverName}" not found`);
    checkScope(input.scope, driverName, driver.scope);
    if (driver.scope !== 'local') {
      if (!this.global) throw new ForbiddenError(`${driverName} networks need swarm mode, which netd does not run`);
      if ((PREDEFINED as readonly string[]).includes(input.name) || this.store.networkByName(input.name)) throw new ConflictError(`network with name ${input.name} already exists`);
      return this.global.create(driverName, input);
    }
    if (!builtin && driver.capabilities.singleton) {
      throw new ForbiddenError(`only one instance of "${driverName}" network is allowed`);
    }
    if (input.ipam?.driver && input.ipam.driver !== 'default') throw new NotFoundError(`plugin "${input.ipam.driver}" not found`);
    const split = splitOptions(input.options ?? {});
    const enableIpv6 = split.enableIpv6 ?? !!input.enableIpv6;
    const options = driver.parseOptions(split.driverOptions);
    if (!builtin) await this.refreshHostRoutes?.();
    const warnings: string[] = [];
    const requests: PoolRequest[] = [];
    const configs = input.ipam?.config ?? [];
    for (const raw of configs) {
      const c = canonicalize(raw, { addressSpace: 'local' });
      warnings.push(...c.warnings);
      requests.push(c.request);
    }
    const { usesPools } = driver.capabilities;
    if (usesPools && !requests.some((r) => (r.subnet?.family ?? r.family) === 4)) requests.unshift({ addressSpace: 'local', family: 4 });
    // Docker 28: without an IPv6 subnet, --ipv6 takes a /64 of the host's ULA /48.
    if (usesPools && enableIpv6 && !requests.some((r) => (r.subnet?.family ?? r.family) === 6)) requests.push({ addressSpace: 'local', family: 6 });
    const id = generateId();
    const record: NetworkRecord = {
      id,
      name: input.name,
      driver: driverName,
      scope: 'local',
      created: input.predefined?.created ?? new Date().toISOString(),
      internal: !!input.internal,
      attachable: !!input.attachable,
      ingress: !!input.ingress,
      enableIpv4: input.enableIpv4 ?? true,
      enableIpv6,
      predefined: builtin,
      options: input.options ?? {},
      labels: input.labels ?? {},
      // null when the client sent none, as dockerd shows it (the docker CLI sends {})
      ipam: { driver: 'default', options: input.ipam?.options ?? null, config: [] },
      userSubnet: configs.some((c) => !!c.Subnet),
      poolIds: [],
      state: 'creating',
    };
    await this.lifecycle.create(record, usesPools ? requests : [], driver, options, { allowDuplicate: !!input.allowDuplicateName, warnings });
    this.events.publish('create', id, { name: input.name, type: driverName });
    return { Id: id, Warning: warnings.join('\n') };
  }

  async delete(term: string): Promise<void> {
    const target = this.find(term);
    await this.locks.run(target.id, async () => {
      const n = this.store.getNetwork(target.id);
      if (!n) throw new NotFoundError(`network ${term} not found`);
      if (n.predefined) throw new ForbiddenError(`${n.name} is a pre-defined network and cannot be removed`);
      if (this.store.endpointsOf(n.id).length > 0) {
        throw new ConflictError(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
      }
      // Cluster-wide: every node (this one included) tears it down when the deletion arrives.
      if (this.global && this.drivers.get(n.driver)?.scope === 'global') return this.global.delete(n.id);
      this.store.setNetworkState(n.id, 'deleting');
      await this.finishDelete(n);
    });
  }

  /**
   * Kernel teardown, then drop pools and record. Also used by the reconciler for a network a crash
   * left creating or deleting: a driver that has just started knows no such network (NotFound), and
   * what kernel objects it may have made are its to remove by name at reconciliation, so that is no failure.
   */
  async finishDelete(n: NetworkRecord): Promise<void> {
    const driver = this.drivers.get(n.driver);
    if (driver) {
      await driver.deleteNetwork(n.id).catch((e) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
    }
    this.lifecycle.release(n);
    this.events.publish('destroy', n.id, { name: n.name, type: n.driver });
  }

  async prune(filtersText?: string): Promise<{ NetworksDeleted: string[] }> {
    const filters = parseFilters(filtersText, ['until', 'label', 'label!']);
    const until = filters.until?.length ? parseUntil(filters.until[0]) : undefined;
    const deleted: string[] = [];
    for (const n of this.store.listNetworks()) {
      if (n.predefined || n.state !== 'active') continue;
      if (until !== undefined && Date.parse(n.created) >= until) continue;
      if (!(filters.label ?? []).every((l) => matchLabel(n.labels, l))) continue;
      if ((filters['label!'] ?? []).some((l) => matchLabel(n.labels, l))) continue;
      try {
        await this.delete(n.id);
        deleted.push(n.name);
      } catch {
        // in use or raced with another delete: prune skips it, as dockerd does
      }
    }
    return { NetworksDeleted: deleted };
  }
}

/** Prune's `until` filter, in milliseconds since the epoch. */
export function parseUntil(text: string, now = Date.now()): number {
  try {
    return Number(parseTimestamp(text, now) / 1_000_000n);
  } catch {
    throw new InvalidParameterError(`invalid filter 'until=${text}'`);
  }
}

export function addressOf(e: { ipv4?: string }): IpAddr | undefined {
  return e.ipv4 ? Prefix.parse(e.ipv4).address : undefined;
}

/**
 * A network's scope is its driver's: a `Scope` that names it (`swarm` for a cluster-wide driver)
 * is honoured, one that does not is
 * refused rather than dropped. Lowering a global driver to local is libnetwork's 'cannot
 * downgrade' (403); a swarm or global scope for a local driver would need swarm's config-only
 * networks, which netd does not run.
 */
export function checkScope(scope: string | undefined, driverName: string, driverScope: 'local' | 'global'): void {
  // netd's cluster-wide networks stand where Docker's swarm-scoped ones do
  if (scope === undefined || scope === driverScope || (scope === 'swarm' && driverScope === 'global')) return;
  if (scope === 'local') throw new ForbiddenError(`cannot downgrade network scope for ${driverName} networks`);
  throw new ForbiddenError(`cannot create a ${scope} scoped ${driverName} network: netd runs no swarm (${driverName} networks are ${driverScope})`);
}
