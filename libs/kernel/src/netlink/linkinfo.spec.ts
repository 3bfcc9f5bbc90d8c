import { IpAddr } from '@app/common';
import { attr, bridgePortHairpin, kindOnly, parseKind, vethInfo, vxlanInfo } from './linkinfo';

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

  it('puts the peer namespace fd (IFLA_NET_NS_FD = 28) inside VETH_INFO_PEER', () => {
    const b = vethInfo({ name: 'eth0', nsFd: 77 });
    expect(b.includes(Buffer.from([8, 0, 28, 0, 77, 0, 0, 0]))).toBe(true);
  });
});
