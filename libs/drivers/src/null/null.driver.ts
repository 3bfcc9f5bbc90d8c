import type { Netlink, NetnsRef } from '@app/kernel/netlink.port';
import type { DriverCapabilities, JoinRequest, JoinResult, NetworkDriver } from '../driver-api';
import { PredefinedDriver } from '../predefined';

/** Docker's "null" driver behind the network "none": loopback only. */
export class NullDriver extends PredefinedDriver implements NetworkDriver<Record<string, never>> {
  readonly type = 'null' as const;
  readonly capabilities: DriverCapabilities = { usesPools: false, singleton: true, sandbox: 'none' };

  constructor(private readonly deps: { readonly netlink: Netlink; readonly hostNs?: NetnsRef }) {
    super();
  }

  async join(req: JoinRequest): Promise<JoinResult> {
    this.checkEndpoint(req.networkId, req.endpointId);
    await this.deps.netlink.setLinkUp(req.sandbox, 'lo');
    return { ifname: 'lo' };
  }
}
