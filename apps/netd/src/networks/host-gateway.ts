import { IpAddr } from '@app/common';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { NetdConfig } from '../config/netd-config';
import type { StateStore } from '../store/state-store';

/**
 * The address `host-gateway` stands for, in /etc/hosts (`--add-host x:host-gateway`) and in the
 * embedded DNS (host.docker.internal) alike: `--host-gateway-ip` when given, else the default
 * bridge's IPv4 gateway, as dockerd decides it.
 */
export function hostGatewayOf(config: Pick<NetdConfig, 'hostGatewayIp'>, store: StateStore, ipam: Ipam): IpAddr | undefined {
  if (config.hostGatewayIp) return config.hostGatewayIp;
  const bridge = store.networkByName('bridge');
  const gw = bridge?.poolIds.map((id) => ipam.getPool(id)).find((pool) => pool?.subnet.family === 4)?.gateway;
  return gw ? IpAddr.parse(gw.toString()) : undefined;
}
