import type { IpAddr, MacAddr, Prefix } from '@app/common';
import type { NetnsRef } from '@app/kernel/netlink.port';
import type { Peer } from '@app/overlay/cluster-view';
import type { NetworkSubnet } from '../driver-api';

/** What the overlay driver remembers about a network on this host. */
export interface OverlayNetwork {
  readonly id: string;
  readonly name: string;
  readonly bridge: string;
  readonly vxlan: string;
  readonly vni: number;
  readonly mtu: number;
  readonly internal: boolean;
  readonly ipv4: readonly NetworkSubnet[];
}

export interface OverlayAttachment {
  readonly sandbox: NetnsRef;
  readonly ifname: string;
  readonly hostVeth: string;
}

export interface OverlayEndpoint {
  readonly id: string;
  readonly networkId: string;
  readonly addresses: readonly Prefix[];
  readonly mac: MacAddr;
  attachment?: OverlayAttachment;
}

/** A remote endpoint as the data path needs it (libs/overlay's Peer). */
export type OverlayPeer = Peer;

/**
 * The optional capability of drivers fed by cluster discovery (libnetwork's TableWatcher): the
 * daemon forwards every `add`/`remove` of a network's endpoints, this host's included. Events may
 * come before the network is up here; the driver keeps them and replays them when it comes up.
 */
export interface PeerAware {
  onPeerEvent(networkId: string, event: { readonly kind: 'add' | 'remove'; readonly peer: OverlayPeer }): Promise<void>;
}

export function gatewayOf(net: OverlayNetwork): IpAddr | undefined {
  return net.ipv4.find((s) => s.gateway)?.gateway;
}

/**
 * The address this host's bridge carries for the network: its gateway, which every host answers
 * for so that containers egress through their own host; none for an internal network, which has
 * no way out.
 */
export function bridgeAddressOf(net: OverlayNetwork): IpAddr | undefined {
  return net.internal ? undefined : gatewayOf(net);
}
