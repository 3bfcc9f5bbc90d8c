import { IpAddr } from '@app/common';
import { attr, bridgePortHairpin, kindOnly, nest, parseKind, parseVxlan, vethInfo, vxlanInfo } from './linkinfo';

describe('linkinfo', () => {
  it('pads attributes to 4 bytes and records the unpadded length', () => {
    const a = attr(1, Buffer.from('abcde'));
    expect(a.length).toBe(12);
    expect(a.readUInt16LE(0)).toBe(9);
  });

  it('round-trips the kind', () => {
    expect(parseKind(kindOnly('bridge'))).toBe('bridge');
    expect(parseKind(vethInfo({ name: 'eth0' }))).toBe('veth');
    expect(parseKind(vxlanInfo({ vni: 42, port: 4789, learning: false }))).toBe('vxlan');
    expect(parseKind(bridgePortHairpin(true))).toBeUndefined();
  });

  it('encodes the vxlan port big-endian and the local address by family', () => {
    const b = vxlanInfo({ vni: 0x123456, port: 4789, learning: false, local: IpAddr.parse('10.0.0.1') });
    expect(b.includes(Buffer.from([0x12, 0xb5]))).toBe(true);
    expect(b.includes(Buffer.from([10, 0, 0, 1]))).toBe(true);
    expect(b.includes(Buffer.from([0x56, 0x34, 0x12, 0x00]))).toBe(true);
  });

  it('sends IFLA_VXLAN_PROXY (11) as a u8 only when asked for', () => {
    const proxyAttr = Buffer.from([5, 0, 11, 0, 1, 0, 0, 0]);
    expect(vxlanInfo({ vni: 4097, port: 4789, learning: false, proxy: true }).includes(proxyAttr)).toBe(true);
    expect(vxlanInfo({ vni: 4097, port: 4789, learning: false, proxy: false }).includes(Buffer.from([5, 0, 11, 0]))).toBe(false);
  });

  it('reads the proxy flag back from a vxlan linkinfo, and nothing from other kinds', () => {
    expect(parseVxlan(vxlanInfo({ vni: 4097, port: 4789, learning: false, proxy: true }))).toEqual({ proxy: true });
    expect(parseVxlan(vxlanInfo({ vni: 4097, port: 4789, learning: false }))).toEqual({ proxy: false });
    // What the kernel sends: the flag always present, 0 or 1.
    const kernelLike = (v: number) => Buffer.concat([attr(1, Buffer.from('vxlan\0')), nest(2, [attr(11, Buffer.from([v]))])]);
    expect(parseVxlan(kernelLike(0))).toEqual({ proxy: false });
    expect(parseVxlan(kernelLike(1))).toEqual({ proxy: true });
    expect(parseVxlan(kindOnly('bridge'))).toBeUndefined();
    expect(parseVxlan(undefined)).toBeUndefined();
  });

  it('puts the peer namespace fd (IFLA_NET_NS_FD = 28) inside VETH_INFO_PEER', () => {
    const b = vethInfo({ name: 'eth0', nsFd: 77 });
    expect(b.includes(Buffer.from([8, 0, 28, 0, 77, 0, 0, 0]))).toBe(true);
  });
});
