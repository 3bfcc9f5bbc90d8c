import { Prefix } from '@app/common';
import type { IpAddr, MacAddr } from '@app/common';
import type { NetnsRef } from '@app/kernel/netlink.port';
import type { NetworkSubnet } from '../driver-api';
import type { BridgeOptions } from './bridge.options';
import type { PublishedPort } from './firewall-rules';

/** What the bridge driver remembers about a network (rebuilt by replaying createNetwork). */
export interface BridgeNetwork {
  readonly id: string;
  readonly name: string;
  readonly bridge: string;
  readonly options: BridgeOptions;
  readonly internal: boolean;
  readonly enableIpv6: boolean;
  readonly ipv4: readonly NetworkSubnet[];
  readonly ipv6: readonly NetworkSubnet[];
  /** False for a bridge that existed before netd used it: delete leaves the device in place. */
  readonly ownsBridge: boolean;
}

/** A joined endpoint: where its veth is and what it publishes. */
export interface Attachment {
  readonly sandbox: NetnsRef;
  readonly ifname: string;
  readonly hostVeth: string;
  /** Port mappings resolved to DNAT targets. */
  readonly published: readonly PublishedPort[];
}

export interface BridgeEndpoint {
  readonly id: string;
  readonly networkId: string;
  readonly addresses: readonly Prefix[];
  readonly mac: MacAddr;
  attachment?: Attachment;
}

/** The gateway as an interface address (gateway/prefix length of its subnet). */
export function gatewayPrefixes(net: BridgeNetwork): Prefix[] {
  return [...net.ipv4, ...net.ipv6].flatMap((s) => (s.gateway ? [Prefix.of(s.gateway, s.subnet.length)] : []));
}

export function firstGateway(net: BridgeNetwork, family: 4 | 6): IpAddr | undefined {
  return (family === 4 ? net.ipv4 : net.ipv6).find((s) => s.gateway)?.gateway;
}
