import { ConflictError, UnavailableError } from '@app/common';
import { type CreateNetworkRequest, isNetworkRestorer, isReconcilable, type NetworkDriver, type PortMapping } from '@app/drivers/driver-api';
import type { Ipam } from '@app/ipam/ipam.contract';
import { subnetsByFamily } from '@app/ipam/subnets';
import type { NetnsRef, Netlink } from '@app/kernel';
import type { Logger } from 'pino';
import type { NetdConfig } from '../config/netd-config';
import type { DriverSet } from '../networks/driver-set';
import { endpointAddresses, type EndpointsService } from '../networks/endpoints.service';
import { splitOptions, type NetworksService } from '../networks/networks.service';
import type { HostRoutes } from './host-routes';
import type { SandboxesService } from '../sandboxes/sandboxes.service';
import type { NetworkRecord, StateStore } from '../store/state-store';

export interface ReconcileDeps {
  config: NetdConfig;
  store: StateStore;
  ipam: Ipam;
  drivers: DriverSet;
  netlink: Netlink;
  hostNs: NetnsRef;
  networks: NetworksService;
  endpoints: EndpointsService;
  sandboxes: SandboxesService;
  /** The daemon's follower of host routes (absent: one dump of the routes at the end). */
  hostRoutes?: Pick<HostRoutes, 'refresh'>;
  /** Published ports per container endpoint, replayed with its join (absent: none); whether a container's record exists. */
  containerNet?: {
    portMappingsFor(containerId: string, networkId: string): readonly PortMapping[] | undefined;
    hasContainer(containerId: string): boolean;
  };
  log: Logger;
}

export interface ReconcileReport {
  sandboxesDropped: number;
  networksUndone: number;
  networksDeleted: number;
  endpointsUndone: number;
  endpointsReleased: number;
  networksReplayed: number;
  endpointsReplayed: number;
  kernelObjectsRemoved: string[];
}

/**
 * Startup: bring database and kernel into agreement. Runs before any listener opens, so nothing
 * races it. Order matters: finish or undo half-done operations first, replay what the database
 * knows (which also tells drivers which objects are theirs), then let drivers remove every object
 * of theirs the database does not know, and only then create missing predefined networks (so a
 * stale bridge's route does not push the default bridge onto another pool).
 */
export async function reconcile(d: ReconcileDeps): Promise<ReconcileReport> {
  const r: ReconcileReport = {
    sandboxesDropped: 0,
    networksUndone: 0,
    networksDeleted: 0,
    endpointsUndone: 0,
    endpointsReleased: 0,
    networksReplayed: 0,
    endpointsReplayed: 0,
    kernelObjectsRemoved: [],
  };
  const networkOf = (id: string) => d.store.getNetwork(id) as NetworkRecord;

  for (const s of d.store.listSandboxes()) {
    // a container removed by a daemon that died before its network teardown: its record went first
    const orphan = s.containerId !== undefined && d.containerNet !== undefined && !d.containerNet.hasContainer(s.containerId);
    const ns = await d.sandboxes.ref(s);
    if (ns && !orphan) continue;
    for (const ep of d.store.endpointsIn(s.id)) {
      await d.endpoints.undo(networkOf(ep.networkId), ep);
      r.endpointsReleased++;
    }
    if (ns) await d.sandboxes.deleteForContainer(s.id);
    else d.store.deleteSandbox(s.id);
    r.sandboxesDropped++;
  }
  for (const ep of d.store.listEndpoints()) {
    if (ep.state === 'active') continue;
    await d.endpoints.undo(networkOf(ep.networkId), ep);
    r.endpointsUndone++;
  }
  for (const n of d.store.listNetworks()) {
    if (n.state === 'active') continue;
    if (n.state === 'creating') r.networksUndone++;
    else r.networksDeleted++;
    await d.networks.finishDelete(n);
  }
  // One batch per driver where the driver can take one: it reads the kernel once for all of its
  // networks (per network, a restart with thousands of networks was O(n²)).
  const batches = new Map<NetworkDriver, CreateNetworkRequest[]>();
  for (const n of d.store.listNetworks()) {
    const driver = d.drivers.get(n.driver);
    if (!driver) {
      d.log.error({ network: n.name, driver: n.driver }, 'network uses an unknown driver; left as is');
      continue;
    }
    const pools = n.poolIds.flatMap((id) => d.ipam.getPool(id) ?? []);
    const req: CreateNetworkRequest = {
      networkId: n.id,
      name: n.name,
      options: driver.parseOptions(splitOptions(n.options).driverOptions),
      internal: n.internal,
      enableIpv6: n.enableIpv6,
      ...subnetsByFamily(pools),
    };
    if (!isNetworkRestorer(driver)) await driver.createNetwork(req);
    else if (batches.has(driver)) batches.get(driver)!.push(req);
    else batches.set(driver, [req]);
    r.networksReplayed++;
  }
  for (const [driver, reqs] of batches) if (isNetworkRestorer(driver)) await driver.restoreNetworks(reqs);
  const sandboxes = new Map(d.store.listSandboxes().map((s) => [s.id, s]));
  const withRoute = new Set<string>();
  for (const ep of d.store.listEndpoints()) {
    const n = networkOf(ep.networkId);
    const driver = d.drivers.get(n.driver);
    const sandbox = sandboxes.get(ep.sandboxId);
    const ns = sandbox && (await d.sandboxes.ref(sandbox));
    if (!driver || !ns) continue;
    await driver.createEndpoint({
      networkId: n.id,
      endpointId: ep.id,
      addresses: endpointAddresses(ep),
    });
    // As at connect (EndpointsService.hasDefaultRoute): an endpoint being removed never holds the
    // default route. A kill -9 between a disconnect and its record's removal left the route on the
    // network connected after it; giving it back to the removed one here failed the whole start
    // with 'the sandbox already has a default route … through another gateway'.
    const defaultRoute = !n.internal && ep.state !== 'deleting' && !withRoute.has(ep.sandboxId);
    if (defaultRoute) withRoute.add(ep.sandboxId);
    const portMappings = sandbox.containerId ? d.containerNet?.portMappingsFor(sandbox.containerId, n.id) : undefined;
    await driver.join({ networkId: n.id, endpointId: ep.id, sandbox: ns, ifname: ep.ifname, defaultRoute, portMappings });
    r.endpointsReplayed++;
  }
  const known = {
    networkIds: d.store.listNetworks().map((n) => n.id),
    endpointIds: d.store.listEndpoints().map((e) => e.id),
  };
  for (const name of d.drivers.names()) {
    const driver = d.drivers.get(name)!;
    if (isReconcilable(driver)) r.kernelObjectsRemoved.push(...(await driver.reconcile(known)).removed);
  }
  if (d.hostRoutes) await d.hostRoutes.refresh();
  else await refreshHostRoutes(d);
  await ensurePredefined(d);
  return r;
}

/** Routes of the host namespace that new pools must avoid, read once; our own pools' routes excluded. */
export async function refreshHostRoutes(d: Pick<ReconcileDeps, 'ipam' | 'netlink' | 'hostNs'>): Promise<void> {
  // One route dump and an indexed pool lookup per route (a route of ours is its pool's subnet
  // exactly): a few µs per route, not per route × pool. The daemon follows routes with HostRoutes.
  const routes = (await d.netlink.listRouteDestinations(d.hostNs))
    .map((dst) => dst.network())
    .filter((dst) => dst.length > 0 && !d.ipam.poolWithSubnet(dst));
  d.ipam.setHostRoutes(routes);
}

const DEFAULT_BRIDGE_SUBNET = '172.17.0.0/16';

async function ensurePredefined(d: ReconcileDeps): Promise<void> {
  const created = new Date().toISOString();
  if (!d.store.networkByName('bridge')) {
    const c = d.config;
    const options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': c.bridge,
      'com.docker.network.driver.mtu': String(c.mtu),
    };
    const explicit = c.bip
      ? { Subnet: c.bip.network().toString(), Gateway: c.bip.address.toString() }
      : { Subnet: DEFAULT_BRIDGE_SUBNET };
    const base = { name: 'bridge', driver: 'bridge', options, predefined: { created } };
    try {
      await d.networks.create({ ...base, ipam: { config: [explicit] } });
    } catch (e) {
      if (c.bip || !(e instanceof ConflictError || e instanceof UnavailableError)) throw e;
      d.log.warn({ err: (e as Error).message }, `${DEFAULT_BRIDGE_SUBNET} is in use on the host; the default bridge takes the next free pool`);
      await d.networks.create(base);
    }
    const n = d.store.networkByName('bridge');
    d.log.info({ subnet: n?.ipam.config[0]?.Subnet, bridge: c.bridge }, 'created the default bridge network');
  }
  for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
    if (!d.store.networkByName(name) && d.drivers.get(driver)) await d.networks.create({ name, driver, predefined: { created } });
  }
}
