import { ForbiddenError, InvalidParameterError, MacAddr, NotFoundError } from '@app/common';
import type { CreateEndpointRequest, CreateNetworkRequest, EndpointResult } from './driver-api';

/** Host and null endpoints have no interface of their own, hence no MAC. */
export const NO_MAC = MacAddr.fromBytes([0, 0, 0, 0, 0, 0]);

/**
 * What host and null share (libnetwork's host.go / null.go): one predefined network, never a
 * second one, never removed; options are refused; endpoints are bookkeeping only.
 */
export abstract class PredefinedDriver {
  abstract readonly type: 'host' | 'null';
  readonly scope = 'local' as const;
  private network?: { id: string; name: string };
  protected readonly endpoints = new Set<string>();

  parseOptions(raw: Readonly<Record<string, string>>): Record<string, never> {
    const keys = Object.keys(raw).sort();
    if (keys.length > 0) throw new InvalidParameterError(`unknown option "${keys[0]}" for the ${this.type} driver`);
    return {};
  }

  async createNetwork(req: CreateNetworkRequest<unknown>): Promise<void> {
    if (this.network && this.network.id !== req.networkId) {
      throw new ForbiddenError(`only one instance of "${this.type}" network is allowed`);
    }
    this.network = { id: req.networkId, name: req.name };
  }

  async deleteNetwork(networkId: string): Promise<void> {
    const name = this.network?.id === networkId ? this.network.name : this.type === 'null' ? 'none' : 'host';
    throw new ForbiddenError(`${name} is a pre-defined network and cannot be removed`);
  }

  async createEndpoint(req: CreateEndpointRequest): Promise<EndpointResult> {
    this.check(req.networkId);
    if (req.addresses.length > 0) {
      throw new InvalidParameterError(`the ${this.type} driver does not assign addresses`);
    }
    this.endpoints.add(req.endpointId);
    return { mac: NO_MAC };
  }

  async deleteEndpoint(networkId: string, endpointId: string): Promise<void> {
    this.check(networkId);
    this.endpoints.delete(endpointId);
  }

  async leave(networkId: string, endpointId: string): Promise<void> {
    this.checkEndpoint(networkId, endpointId);
  }

  protected checkEndpoint(networkId: string, endpointId: string): void {
    this.check(networkId);
    if (!this.endpoints.has(endpointId)) throw new NotFoundError(`endpoint ${endpointId} not found in network ${networkId}`);
  }

  private check(networkId: string): void {
    if (this.network?.id !== networkId) throw new NotFoundError(`network ${networkId} not found`);
  }
}
