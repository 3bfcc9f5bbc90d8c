import type { DriverCapabilities, JoinRequest, JoinResult, NetworkDriver } from '../driver-api';
import { PredefinedDriver } from '../predefined';

/**
 * The host network: the container shares the daemon's namespace, so join changes nothing and
 * reports no interface (published ports are discarded, as Docker warns).
 */
export class HostDriver extends PredefinedDriver implements NetworkDriver<Record<string, never>> {
  readonly type = 'host' as const;
  readonly capabilities: DriverCapabilities = { usesPools: false, singleton: true, sandbox: 'host' };

  async join(req: JoinRequest): Promise<JoinResult> {
    this.checkEndpoint(req.networkId, req.endpointId);
    return { ifname: '' };
  }
}
