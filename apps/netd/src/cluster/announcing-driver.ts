import { MacAddr, Prefix } from '@app/common';
import type { CreateEndpointRequest, DriverCapabilities, CreateNetworkRequest, EndpointResult, JoinRequest, JoinResult, NetworkDriver, OverlayDriver, OverlayOptions } from '@app/drivers';
import type { ClusterService } from './cluster.service';

/**
 * The overlay driver as the daemon registers it: the same driver, plus the cluster announcement of
 * each endpoint once it is joined (and its withdrawal on leave). Kept outside the driver because the
 * driver never reaches into discovery (STYLE.md: discovery feeds the driver, not the reverse).
 */
export class AnnouncingOverlayDriver implements NetworkDriver<OverlayOptions> {
  readonly type: OverlayDriver['type'];
  readonly scope = 'global' as const;
  readonly capabilities: DriverCapabilities;
  private readonly joined = new Map<string, { ip?: Prefix; mac: MacAddr }>();

  constructor(
    private readonly inner: OverlayDriver,
    private readonly cluster: ClusterService,
  ) {
    this.type = inner.type;
    this.capabilities = inner.capabilities;
  }

  parseOptions(raw: Readonly<Record<string, string>>): OverlayOptions {
    return this.inner.parseOptions(raw);
  }

  createNetwork(req: CreateNetworkRequest<OverlayOptions>): Promise<void> {
    return this.inner.createNetwork(req);
  }

  deleteNetwork(networkId: string): Promise<void> {
    return this.inner.deleteNetwork(networkId);
  }

  async createEndpoint(req: CreateEndpointRequest): Promise<EndpointResult> {
    const res = await this.inner.createEndpoint(req);
    this.joined.set(req.endpointId, { ip: req.addresses.find((a) => a.family === 4), mac: res.mac });
    return res;
  }

  async deleteEndpoint(networkId: string, endpointId: string): Promise<void> {
    this.cluster.withdraw(networkId, endpointId);
    this.joined.delete(endpointId);
    await this.inner.deleteEndpoint(networkId, endpointId);
  }

  async join(req: JoinRequest): Promise<JoinResult> {
    const res = await this.inner.join(req);
    const ep = this.joined.get(req.endpointId);
    if (ep?.ip) this.cluster.announce(req.networkId, req.endpointId, ep.ip.address, ep.mac);
    return res;
  }

  async leave(networkId: string, endpointId: string): Promise<void> {
    this.cluster.withdraw(networkId, endpointId);
    await this.inner.leave(networkId, endpointId);
  }
}
