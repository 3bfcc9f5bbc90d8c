import { ConflictError, ForbiddenError, InvalidParameterError, IpAddr, MacAddr, NotFoundError, Prefix, generateId } from '@app/common';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { EventsService } from '../events/events.service';
import type { SandboxesService } from '../sandboxes/sandboxes.service';
import type { PortMapping } from '@app/drivers/driver-api';
import type { EndpointLink, EndpointRecord, NetworkRecord, SandboxRecord, StateStore } from '../store/state-store';
import type { DriverSet } from './driver-set';
import type { KeyedMutex } from './keyed-mutex';
import type { NetworksService } from './networks.service';

export interface ConnectInput {
  container: string;
  ipv4Address?: string;
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
 * creating) in one transaction → driver createEndpoint/join → mark active. For disconnect:
 * mark deleting → driver leave/deleteEndpoint → release the address and drop the record in one
 * transaction. The reconciler completes or undoes either after a crash.
 */
export class EndpointsService {
  constructor(private readonly d: EndpointDeps) {}

  /** Connect; resolves with the active endpoint record. */
  async connect(term: string, input: ConnectInput): Promise<EndpointRecord> {
    const target = this.d.networks.find(term);
    if (target.driver === 'host') {
      throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
    }
    if (target.driver === 'null') {
      throw new ForbiddenError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    }
    const sandbox = this.d.sandboxes.find(input.container);
    const ns = await this.d.sandboxes.ref(sandbox);
    if (!ns) throw new ConflictError(`container ${sandbox.id} has no network namespace`);
    const mac = input.macAddress ? MacAddr.parse(input.macAddress) : undefined;
    const result = await this.d.locks.run(target.id, async () => {
      const n = this.d.store.getNetwork(target.id);
      if (!n || n.state !== 'active') throw new NotFoundError(`network ${term} not found`);
      const driver = this.d.drivers.get(n.driver);
      if (!driver) throw new NotFoundError(`plugin "${n.driver}" not found`);
      const ep = this.reserve(n, sandbox, input);
      try {
        const res = await driver.createEndpoint({
          networkId: n.id,
          endpointId: ep.id,
          addresses: ep.ipv4 ? [Prefix.parse(ep.ipv4)] : [],
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
        this.d.store.markEndpointActive(ep.id, res.mac.toString());
        return { ...ep, mac: res.mac.toString(), state: 'active' as const };
      } catch (e) {
        await this.undo(n, ep);
        throw e;
      }
    });
    this.d.events.publish('connect', target.id, { container: sandbox.id, name: target.name, type: target.driver });
    return result;
  }

  private hasDefaultRoute(sandboxId: string, except: string): boolean {
    return this.d.store
      .endpointsIn(sandboxId)
      .some((e) => e.id !== except && e.state !== 'deleting' && !this.d.store.getNetwork(e.networkId)?.internal);
  }

  private reserve(n: NetworkRecord, sandbox: SandboxRecord, input: ConnectInput): EndpointRecord {
    const poolId = n.poolIds.find((id) => this.d.ipam.getPool(id)?.subnet.family === 4);
    const pool = poolId ? this.d.ipam.getPool(poolId) : undefined;
    let wanted: IpAddr | undefined;
    if (input.ipv4Address) {
      wanted = IpAddr.parse(input.ipv4Address);
      if (!n.userSubnet) {
        throw new InvalidParameterError('user specified IP address is supported only when connecting to networks with user configured subnets');
      }
      if (!pool || !pool.subnet.contains(wanted)) {
        throw new InvalidParameterError(`Invalid address ${wanted}: It does not belong to any of this network's subnets.`);
      }
      if (pool.gateway?.equals(wanted)) throw new ConflictError('Address already in use.');
    }
    let allocated: IpAddr | undefined;
    try {
      return this.d.store.transaction(() => {
        if (this.d.store.endpointOf(n.id, sandbox.id)) {
          throw new ConflictError(`endpoint with name ${sandbox.name} already exists in network ${n.name}`);
        }
        const used = new Set(this.d.store.endpointsIn(sandbox.id).map((e) => e.ifname));
        let i = 0;
        while (used.has(`eth${i}`)) i++;
        if (pool && poolId) allocated = this.d.ipam.requestAddress(poolId, wanted);
        const ep: EndpointRecord = {
          id: generateId(),
          networkId: n.id,
          sandboxId: sandbox.id,
          ifname: `eth${i}`,
          ipv4: allocated && pool ? `${allocated}/${pool.subnet.length}` : undefined,
          poolId,
          aliases: input.aliases ?? [],
          links: input.links ?? [],
          state: 'creating',
        };
        this.d.store.insertEndpoint(ep);
        return ep;
      });
    } catch (e) {
      if (allocated && poolId) this.d.ipam.releaseAddress(poolId, allocated);
      throw e;
    }
  }

  async disconnect(term: string, container: string): Promise<void> {
    const target = this.d.networks.find(term);
    if (target.driver === 'host') {
      throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
    }
    const sandbox = this.d.sandboxes.find(container);
    await this.d.locks.run(target.id, async () => {
      const ep = this.d.store.endpointOf(target.id, sandbox.id);
      if (!ep || ep.state === 'creating') {
        throw new ConflictError(`container ${sandbox.id} is not connected to network ${target.name}`);
      }
      this.d.store.setEndpointState(ep.id, 'deleting');
      await this.finishDisconnect(target, ep);
    });
    this.d.events.publish('disconnect', target.id, { container: sandbox.id, name: target.name, type: target.driver });
  }

  /** Driver teardown, then address + record in one transaction. Also used by the reconciler. */
  async finishDisconnect(n: NetworkRecord, ep: EndpointRecord): Promise<void> {
    const driver = this.d.drivers.get(n.driver);
    if (driver) {
      await driver.leave(n.id, ep.id);
      await driver.deleteEndpoint(n.id, ep.id);
    }
    this.release(ep);
  }

  /** Best-effort undo of a failed or interrupted connect. */
  async undo(n: NetworkRecord, ep: EndpointRecord): Promise<void> {
    const driver = this.d.drivers.get(n.driver);
    await driver?.leave(n.id, ep.id).catch(() => undefined);
    await driver?.deleteEndpoint(n.id, ep.id).catch(() => undefined);
    this.release(ep);
  }

  private release(ep: EndpointRecord): void {
    this.d.store.transaction(() => {
      if (ep.poolId && ep.ipv4 && this.d.ipam.getPool(ep.poolId)) {
        try {
          this.d.ipam.releaseAddress(ep.poolId, Prefix.parse(ep.ipv4).address);
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
      }
      this.d.store.deleteEndpoint(ep.id);
    });
  }
}
