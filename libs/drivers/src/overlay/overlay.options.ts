import { InvalidParameterError } from '@app/common';
import { MAX_MTU, MIN_MTU, OPTION_MTU } from '../bridge/bridge.options';

/** Docker's option keys for the overlay driver (libnetwork drivers/overlay). */
export const OPTION_VXLANID_LIST = 'com.docker.network.driver.overlay.vxlanid_list';
export const OPTION_ENCRYPTED = 'encrypted';

/** Typed options of one overlay network. */
export interface OverlayOptions {
  /**
   * The VNI. The daemon fills it from the cluster's VNI allocator (every node must use the same
   * one); a user may pin it, as with Docker's vxlanid_list.
   */
  readonly vni?: number;
  /** MTU of the bridge, vxlan and veths; absent: underlay MTU − 50 (the VXLAN header). */
  readonly mtu?: number;
}

/** Parse raw options; InvalidParameter for unknown keys, bad values and `encrypted`. No side effects. */
export function parseOverlayOptions(raw: Readonly<Record<string, string>>): OverlayOptions {
  let vni: number | undefined;
  let mtu: number | undefined;
  for (const [key, value] of Object.entries(raw)) {
    if (key === OPTION_VXLANID_LIST) vni = parseVni(value);
    else if (key === OPTION_MTU) mtu = parseInteger(key, value, MIN_MTU, MAX_MTU);
    else if (key === OPTION_ENCRYPTED) throw new InvalidParameterError('encrypted overlay networks are not supported by netd');
    else throw new InvalidParameterError(`unknown option for the overlay driver: ${key}`);
  }
  return { vni, mtu };
}

function parseVni(value: string): number {
  // Docker accepts a comma-separated list (one VNI per subnet); netd networks have one IPv4 subnet.
  const parts = value.split(',');
  if (parts.length !== 1) throw new InvalidParameterError(`invalid ${OPTION_VXLANID_LIST} "${value}": netd takes exactly one VNI`);
  return parseInteger(OPTION_VXLANID_LIST, parts[0], MIN_VNI, MAX_VNI);
}

function parseInteger(key: string, value: string, min: number, max: number): number {
  const n = /^[0-9]{1,8}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidParameterError(`invalid value "${value}" for option ${key}: must be an integer between ${min} and ${max}`);
  }
  return n;
}

/** Per network and host: `ov-<12 hex>` (the bridge) and `vx-<12 hex>` (the vxlan port), 15 bytes each. */
export function overlayBridgeName(networkId: string): string {
  return `ov-${hexPrefix(networkId)}`;
}

export function overlayVxlanName(networkId: string): string {
  return `vx-${hexPrefix(networkId)}`;
}

export const OVERLAY_LINK_PATTERN = /^(ov|vx)-[0-9a-f]{12}$/;

function hexPrefix(id: string): string {
  if (!/^[0-9a-f]{12}/.test(id)) throw new InvalidParameterError(`invalid network id "${id}"`);
  return id.slice(0, 12);
}

/** Outer headers of VXLAN over IPv4: 14 (inner Ethernet) + 8 (VXLAN) + 8 (UDP) + 20 (IP). */
export const VXLAN_OVERHEAD = 50;
export const DEFAULT_VXLAN_PORT = 4789;
/** The cluster allocates VNIs from 4096 up (libs/overlay's VniAllocator); below stays for VLAN maps. */
export const MIN_VNI = 4096;
export const MAX_VNI = 2 ** 24 - 1;
