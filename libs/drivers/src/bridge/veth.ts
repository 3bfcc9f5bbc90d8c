import { createHash } from 'node:crypto';
import { InvalidParameterError, MacAddr } from '@app/common';
import { IFNAMSIZ_MAX } from '@app/kernel/netlink.port';

/** Host side of an endpoint's veth: `veth` + the first 7 hex characters of the endpoint id. */
export const VETH_PREFIX = 'veth';
export const VETH_ID_LEN = 7;

export function hostVethName(endpointId: string): string {
  if (!/^[0-9a-f]+$/.test(endpointId) || endpointId.length < VETH_ID_LEN) {
    throw new InvalidParameterError(`invalid endpoint id "${endpointId}": expected at least ${VETH_ID_LEN} hex characters`);
  }
  const name = VETH_PREFIX + endpointId.slice(0, VETH_ID_LEN);
  if (name.length > IFNAMSIZ_MAX) throw new InvalidParameterError(`veth name ${name} does not fit IFNAMSIZ`);
  return name;
}

export const VETH_NAME_PATTERN = new RegExp(`^${VETH_PREFIX}[0-9a-f]{${VETH_ID_LEN}}$`);

/**
 * Docker names its bridges `br-<12 hex>` and its host veths `veth<7 hex>` too, so the names
 * alone cannot tell netd's links from dockerd's. netd gives the links it creates on the host
 * side a MAC address with this locally administered prefix ("nd"), and reconciliation only
 * removes links that carry it.
 */
export const NETD_MAC_PREFIX = [0x02, 0x6e, 0x64] as const;

/** A MAC with netd's prefix and three bytes derived from `id` (a bridge's MAC is then fixed). */
export function markerMac(id: string): MacAddr {
  const h = createHash('sha256').update(id).digest();
  return MacAddr.fromBytes([...NETD_MAC_PREFIX, h[0], h[1], h[2]]);
}

export function hasMarkerMac(mac: MacAddr | undefined): boolean {
  if (!mac) return false;
  const b = mac.toBytes();
  return NETD_MAC_PREFIX.every((v, i) => b[i] === v);
}

/**
 * The container-side name: the daemon picks `eth<N>`; a network with
 * com.docker.network.container_iface_prefix swaps the `eth`.
 */
export function containerIfname(requested: string, prefix: string | undefined): string {
  const m = /^eth([0-9]+)$/.exec(requested);
  const name = prefix && m ? prefix + m[1] : requested;
  if (name.length === 0 || Buffer.byteLength(name) > IFNAMSIZ_MAX || /[\s/:]/.test(name)) {
    throw new InvalidParameterError(`invalid interface name "${name}"`);
  }
  return name;
}
