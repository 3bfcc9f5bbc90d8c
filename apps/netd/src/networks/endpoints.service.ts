import { ConflictError, IpAddr, MacAddr, NotFoundError, Prefix, generateId } from '@app/common';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { EventsService } from '../events/events.service';
import type { SandboxesService } from '../sandboxes/sandboxes.service';
import type { PortMapping } from '@app/drivers/driver-api';
import type { EndpointLink, EndpointRecord, NetworkRecord, SandboxRecord, StateStore } from '../store/state-store';
import { type DriverSet, refuseConnect, refuseDisconnect } from './driver-set';
import type { KeyedMutex } from './keyed-mutex';
import type { NetworksService } from './networks.service';
import { checkStaticAddress } from './static-address';

export interface ConnectInput {
  container: string;
  ipv4Address?: string;
  /** Honoured on networks with EnableIPv6; refused elsewhere, as Docker does. */
  ipv6Address?: string;
  macAddress?: string;
  aliases?: string[];
  /** Published ports (`-p`), programmed by the driver on join. */
  portMappings?: readonly PortMapping[];
  /** User-network links (`--link name:alias`), resolvable by this sandbox only. */
  links?: EndpointLink[];
}

export interface EndpointDeps {
  store: StateStore;
  ipam: Ipam;
  drivers: DriverSet;
  events: EventsService;
  locks: KeyedMutex;
  networks: NetworksService;
  sandboxes: SandboxesService;
}

/**
 * Connect and disconnect sandboxes. Order for connect: address + endpoint record (state
 * creating) in one transaction → driver createEndpoint/join → mark active (with the caller's
 * record of the attachment, in one transaction). For disconnect: mark deleting (with the caller's
 * record) → driver leave/deleteEndpoint → release the address and drop the record in one
 * transaction. The reconciler completes or undoes either after a crash. Both run under the
 * network's lock (see KeyedMutex for the order).
 */
export class EndpointsService {
  private readonly drivers: DriverSet;
  private readonly events: EventsService;
  private readonly ipam: Ipam;
  private readonly locks: KeyedMutex;
  private readonly networks: NetworksService;
  private readonly sandboxes: SandboxesService;
  private readonly store: StateStore;

  constructor(deps: EndpointDeps) {
    this.drivers = deps.drivers;
    this.events = deps.events;
    this.ipam = deps.ipam;
    this.locks = deps.locks;
    this.networks = deps.networks;
    this.sandboxes = deps.sandboxes;
    this.store = deps.store;
  }

  /**
   * Connect; resolves with the active endpoint record. `onActive` runs in the transaction that
   * marks the endpoint active (the caller's own record of the attachment goes in with it); if
   * it throws, the connect is undone.
   */
  async connect(term: string, input: ConnectInput, hooks: { onActive?(ep: EndpointRecord): void } = {}): Promise<EndpointRecord> {
    const target = this.networks.find(term);
    refuseConnect(this.drivers.capabilitiesOf(target.driver));
    const sandbox = this.sandboxes.find(input.container);
    const ns = await this.sandboxes.ref(sandbox);
    if (!ns) throw new ConflictError(`container ${sandbox.id} has no network namespace`);
    const mac = input.macAddress ? MacAddr.parse(input.macAddress) : undefined;
    const result = await this.locks.run(target.id, async () => {
      const n = this.store.getNetwork(target.id);
      if (!n || n.state !== 'active') throw new NotFoundError(`network ${term} not found`);
      const driver = this.drivers.get(n.driver);
      if (!driver) throw new NotFoundError(`plugin "${n.driver}" not found`);
      const v4pool = n.poolIds.find((id) => this.ipam.getPool(id)?.subnet.family === 4);
      const global4 = await this.networks.globalAddress(n, v4pool, input.ipv4Address);
      let ep: EndpointRecord;
      try {
        ep = this.reserve(n, sandbox, input, global4);
      } catch (e) {
        this.networks.globalReleased(n);
        throw e;
      }
      try {
        const res = await driver.createEndpoint({
          networkId: n.id,
          endpointId: ep.id,
          addresses: endpointAddresses(ep),
          mac,
        });
        await driver.join({
          networkId: n.id,
          endpointId: ep.id,
          sandbox: ns,
          ifname: ep.ifname,
          defaultRoute: !n.internal && !this.hasDefaultRoute(sandbox.id, ep.id),
          portMappings: input.portMappings,
        });
        const active = { ...ep, mac: res.mac.toString(), state: 'active' as const };
        this.store.transaction(() => {
          this.store.markEndpointActive(ep.id, active.mac);
          hooks.onActive?.(active);
        });
        return active;
      } catch (e) {
        await this.undo(n, ep);
        this.networks.globalReleased(n);
        throw e;
      }
    });
    this.events.publish('connect', target.id, { container: sandbox.id, name: target.name, type: target.driver });
    return result;
  }

  private hasDefaultRoute(sandboxId: string, except: string): boolean {
    return this.store
      .endpointsIn(sandboxId)
      .some((e) => e.id !== except && e.state !== 'deleting' && !this.store.getNetwork(e.networkId)?.internal);
  }

  /** `global4`: the address a cluster network's blocks give this endpoint (see NetworksService.globalAddress). */
  private reserve(n: NetworkRecord, sandbox: SandboxRecord, input: ConnectInput, global4?: IpAddr): EndpointRecord {
    const static4 = checkStaticAddress(n, this.ipam, 4, input.ipv4Address);
    const v4 = global4 ? { ...static4, wanted: global4 } : static4;
    const v6 = checkStaticAddress(n, this.ipam, 6, input.ipv6Address);
    const taken: { poolId: string; address: IpAddr }[] = [];
    const take = (req: { poolId?: string; wanted?: IpAddr }): string | undefined => {
      const pool = req.poolId ? this.ipam.getPool(req.poolId) : undefined;
      if (!pool || !req.poolId) return undefined;
      const address = this.ipam.requestAddress(req.poolId, req.wanted);
      taken.push({ poolId: req.poolId, address });
      return `${address}/${pool.subnet.length}`;
    };
    try {
      return this.store.transaction(() => {
        if (this.store.endpointOf(n.id, sandbox.id)) {
          throw new ConflictError(`endpoint with name ${sandbox.name} already exists in network ${n.name}`);
        }
        const used = new Set(this.store.endpointsIn(sandbox.id).map((e) => e.ifname));
        let i = 0;
        while (used.has(`eth${i}`)) i++;
        const ipv4 = take(v4);
        const ipv6 = n.enableIpv6 ? take(v6) : undefined;
        const ep: EndpointRecord = {
          id: generateId(),
          networkId: n.id,
          sandboxId: sandbox.id,
          ifname: `eth${i}`,
          ipv4,
          poolId: ipv4 ? v4.poolId : undefined,
          ipv6,
          poolId6: ipv6 ? v6.poolId : undefined,
          aliases: input.aliases ?? [],
          links: input.links ?? [],
          state: 'creating',
        };
        this.store.insertEndpoint(ep);
        return ep;
      });
    } catch (e) {
      for (const t of taken) this.ipam.releaseAddress(t.poolId, t.address);
      throw e;
    }
  }

  /**
   * Disconnect. `onDeleting` runs in the transaction that marks the endpoint deleting: from
   * then on the reconciler finishes the teardown after a crash, so the caller's record of the
   * attachment goes with that mark.
   */
  async disconnect(term: string, container: string, hooks: { onDeleting?(ep: EndpointRecord): void } = {}): Promise<void> {
    const target = this.networks.find(term);
    refuseDisconnect(this.drivers.capabilitiesOf(target.driver));
    const sandbox = this.sandboxes.find(container);
    await this.locks.run(target.id, async () => {
      const ep = this.store.endpointOf(target.id, sandbox.id);
      if (!ep || ep.state === 'creating') {
        throw new ConflictError(`container ${sandbox.id} is not connected to network ${target.name}`);
      }
      this.store.transaction(() => {
        this.store.setEndpointState(ep.id, 'deleting');
        hooks.onDeleting?.(ep);
      });
      await this.finishDisconnect(target, ep);
      this.networks.globalReleased(target);
    });
    this.events.publish('disconnect', target.id, { container: sandbox.id, name: target.name, type: target.driver });
  }

  /** Driver teardown, then address + record in one transaction. Also used by the reconciler. */
  async finishDisconnect(n: NetworkRecord, ep: EndpointRecord): Promise<void> {
    const driver = this.drivers.get(n.driver);
    if (driver) {
      await driver.leave(n.id, ep.id);
      await driver.deleteEndpoint(n.id, ep.id);
    }
    this.release(ep);
  }

  /** Best-effort undo of a failed or interrupted connect. */
  async undo(n: NetworkRecord, ep: EndpointRecord): Promise<void> {
    const driver = this.drivers.get(n.driver);
    await driver?.leave(n.id, ep.id).catch(() => undefined);
    await driver?.deleteEndpoint(n.id, ep.id).catch(() => undefined);
    this.release(ep);
  }

  private release(ep: EndpointRecord): void {
    this.store.transaction(() => {
      for (const [poolId, addr] of [[ep.poolId, ep.ipv4], [ep.poolId6, ep.ipv6]] as const) {
        if (!poolId || !addr || !this.ipam.getPool(poolId)) continue;
        try {
          this.ipam.releaseAddress(poolId, Prefix.parse(addr).address);
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
      }
      this.store.deleteEndpoint(ep.id);
    });
  }
}

/** The addresses a driver programs for an endpoint record: IPv4 then IPv6, with prefix lengths. */
export function endpointAddresses(ep: Pick<EndpointRecord, 'ipv4' | 'ipv6'>): Prefix[] {
  return [ep.ipv4, ep.ipv6].flatMap((a) => (a ? [Prefix.parse(a)] : []));
}
