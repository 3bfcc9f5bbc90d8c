import type { IpAddr } from '@app/common';

/**
 * Encoders for the inside of IFLA_LINKINFO, which the `netlink` package leaves raw. Attributes
 * are a 4-byte header (u16 length, u16 type) and a payload padded to 4 bytes; nests carry
 * NLA_F_NESTED.
 */
const NLA_F_NESTED = 0x8000;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_INFO_SLAVE_KIND = 4;
const IFLA_INFO_SLAVE_DATA = 5;
const VETH_INFO_PEER = 1;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_NET_NS_FD = 28;
const IFLA_VXLAN_ID = 1;
const IFLA_VXLAN_LOCAL = 4;
const IFLA_VXLAN_LEARNING = 7;
/** ARP/ND suppression: the device answers ARP requests from its own neighbour table (arp_reduce). */
const IFLA_VXLAN_PROXY = 11;
const IFLA_VXLAN_PORT = 15;
const IFLA_VXLAN_LOCAL6 = 17;
const IFLA_BRPORT_MODE = 4;
/** sizeof(struct ifinfomsg): VETH_INFO_PEER starts with one, then the peer's attributes. */
const IFINFOMSG_LEN = 16;

export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

export function nest(type: number, children: Buffer[]): Buffer {
  return attr(type | NLA_F_NESTED, Buffer.concat(children));
}

const str = (s: string) => Buffer.from(`${s}\0`);
const u8 = (n: number) => Buffer.from([n]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const be16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

export function kindOnly(kind: 'bridge' | 'dummy'): Buffer {
  return attr(IFLA_INFO_KIND, str(kind));
}

export function vethInfo(peer: { name: string; nsFd?: number; mac?: Uint8Array; mtu?: number }): Buffer {
  const peerAttrs = [attr(IFLA_IFNAME, str(peer.name))];
  if (peer.nsFd !== undefined) peerAttrs.push(attr(IFLA_NET_NS_FD, u32(peer.nsFd)));
  if (peer.mac) peerAttrs.push(attr(IFLA_ADDRESS, Buffer.from(peer.mac)));
  if (peer.mtu !== undefined) peerAttrs.push(attr(IFLA_MTU, u32(peer.mtu)));
  const peerPayload = Buffer.concat([Buffer.alloc(IFINFOMSG_LEN), ...peerAttrs]);
  return Buffer.concat([
    attr(IFLA_INFO_KIND, str('veth')),
    nest(IFLA_INFO_DATA, [nest(VETH_INFO_PEER, [peerPayload])]),
  ]);
}

export function vxlanInfo(o: { vni: number; port: number; learning: boolean; proxy?: boolean; local?: IpAddr }): Buffer {
  const data = [attr(IFLA_VXLAN_ID, u32(o.vni)), attr(IFLA_VXLAN_PORT, be16(o.port)), attr(IFLA_VXLAN_LEARNING, u8(o.learning ? 1 : 0))];
  if (o.proxy) data.push(attr(IFLA_VXLAN_PROXY, u8(1)));
  if (o.local) data.push(attr(o.local.family === 4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, Buffer.from(o.local.toBytes())));
  return Buffer.concat([attr(IFLA_INFO_KIND, str('vxlan')), nest(IFLA_INFO_DATA, data)]);
}

/** Bridge-port settings of an enslaved link (what `ip link set X type bridge_slave hairpin on` sends). */
export function bridgePortHairpin(on: boolean): Buffer {
  return Buffer.concat([attr(IFLA_INFO_SLAVE_KIND, str('bridge')), nest(IFLA_INFO_SLAVE_DATA, [attr(IFLA_BRPORT_MODE, u8(on ? 1 : 0))])]);
}

/** The payload of the first attribute of `type` in a run of attributes, or undefined. */
function find(attrs: Buffer | undefined, type: number): Buffer | undefined {
  if (!attrs) return undefined;
  for (let off = 0; off + 4 <= attrs.length; ) {
    const len = attrs.readUInt16LE(off);
    if (len < 4 || off + len > attrs.length) break;
    if ((attrs.readUInt16LE(off + 2) & ~NLA_F_NESTED) === type) return attrs.subarray(off + 4, off + len);
    off += (len + 3) & ~3;
  }
  return undefined;
}

/** IFLA_INFO_KIND from a received IFLA_LINKINFO payload. */
export function parseKind(linkinfo: Buffer | undefined): string | undefined {
  return find(linkinfo, IFLA_INFO_KIND)?.toString().replace(/\0+$/, '');
}

/**
 * The vxlan settings netd reads back from a received IFLA_LINKINFO payload (undefined for other
 * kinds). The kernel always reports IFLA_VXLAN_PROXY, 0 or 1.
 */
export function parseVxlan(linkinfo: Buffer | undefined): { readonly proxy: boolean } | undefined {
  if (parseKind(linkinfo) !== 'vxlan') return undefined;
  const proxy = find(find(linkinfo, IFLA_INFO_DATA), IFLA_VXLAN_PROXY);
  return { proxy: proxy !== undefined && proxy.length >= 1 && proxy[0] !== 0 };
}
