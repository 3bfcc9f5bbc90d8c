import { IpAddr, Prefix } from '@app/common';
import { canonicalize, checkPoolRequest } from './canonicalize';
import type { PoolRequest, RawPoolConfig } from './ipam.contract';

const local = { addressSpace: 'local' as const };

describe(canonicalize.name, () => {
  it.each<{ name: string; raw: RawPoolConfig; family?: 4 | 6; message: string }>([
    { name: 'invalid CIDR', raw: { Subnet: 'notacidr' }, message: 'Invalid subnet notacidr : invalid CIDR address: notacidr' },
    { name: 'prefix length over 32', raw: { Subnet: '10.232.0.0/33' }, message: 'Invalid subnet 10.232.0.0/33 : invalid CIDR address: 10.232.0.0/33' },
    { name: 'IPv4 /31 is too small', raw: { Subnet: '10.1.0.0/31' }, message: 'Invalid subnet 10.1.0.0/31 : a /31 is too small for an IPv4 network (at most /30)' },
    { name: 'IPv4 /32 is too small', raw: { Subnet: '10.1.0.1/32' }, message: 'Invalid subnet 10.1.0.1/32 : a /32 is too small for an IPv4 network (at most /30)' },
    { name: 'IPv6 /127 is too small', raw: { Subnet: 'fd00::/127' }, message: 'Invalid subnet fd00::/127 : a /127 is too small for an IPv6 network (at most /126)' },
    { name: 'subnet of the wrong family', raw: { Subnet: 'fd00::/64' }, family: 4, message: 'Invalid subnet fd00::/64 : not an IPv4 subnet' },
    { name: 'invalid ip-range', raw: { Subnet: '10.1.0.0/24', IPRange: '10.1.0.0' }, message: 'Invalid ip-range 10.1.0.0 : invalid CIDR address: 10.1.0.0' },
    { name: 'ip-range outside the subnet', raw: { Subnet: '10.236.0.0/24', IPRange: '10.237.0.0/25' }, message: 'no matching subnet for range 10.237.0.0/25: not inside 10.236.0.0/24' },
    { name: 'ip-range larger than the subnet', raw: { Subnet: '10.1.0.0/24', IPRange: '10.1.0.0/23' }, message: 'no matching subnet for range 10.1.0.0/23: not inside 10.1.0.0/24' },
    { name: 'ip-range of the other family', raw: { Subnet: '10.1.0.0/24', IPRange: 'fd00::/120' }, message: 'no matching subnet for range fd00::/120: an IPv6 value for the IPv4 subnet 10.1.0.0/24' },
    { name: 'ip-range with no usable address', raw: { Subnet: '10.1.0.0/24', IPRange: '10.1.0.255/32' }, message: 'ip-range 10.1.0.255/32 holds no usable address of 10.1.0.0/24' },
    { name: 'invalid gateway', raw: { Subnet: '10.1.0.0/24', Gateway: '10.1.0.300' }, message: 'Invalid gateway 10.1.0.300 : invalid IP address: 10.1.0.300' },
    { name: 'gateway outside the subnet', raw: { Subnet: '10.234.0.0/24', Gateway: '10.235.0.1' }, message: 'no matching subnet for gateway 10.235.0.1: not inside 10.234.0.0/24' },
    { name: 'gateway of the other family', raw: { Subnet: '10.1.0.0/24', Gateway: 'fd00::1' }, message: 'no matching subnet for gateway fd00::1: an IPv6 value for the IPv4 subnet 10.1.0.0/24' },
    { name: 'gateway = network address', raw: { Subnet: '10.1.0.0/24', Gateway: '10.1.0.0' }, message: 'Invalid gateway 10.1.0.0: it is the network address of 10.1.0.0/24' },
    { name: 'gateway = broadcast address', raw: { Subnet: '10.1.0.0/24', Gateway: '10.1.0.255' }, message: 'Invalid gateway 10.1.0.255: it is the broadcast address of 10.1.0.0/24' },
    { name: 'invalid aux-address', raw: { Subnet: '10.1.0.0/24', AuxiliaryAddresses: { h1: 'x' } }, message: 'Invalid aux-address h1=x : invalid IP address: x' },
    { name: 'aux-address outside the subnet', raw: { Subnet: '10.1.0.0/24', AuxiliaryAddresses: { h1: '10.9.0.5' } }, message: 'no matching subnet for aux-address h1=10.9.0.5: not inside 10.1.0.0/24' },
    { name: 'aux-address of the other family', raw: { Subnet: 'fd00::/64', AuxiliaryAddresses: { h1: '10.9.0.5' } }, message: 'no matching subnet for aux-address h1=10.9.0.5: an IPv4 value for the IPv6 subnet fd00::/64' },
    { name: 'aux-address = network address', raw: { Subnet: '10.1.0.0/24', AuxiliaryAddresses: { h1: '10.1.0.0' } }, message: 'Invalid aux-address h1=10.1.0.0: it is the network address of 10.1.0.0/24' },
    { name: 'aux-address = broadcast address', raw: { Subnet: '10.1.0.0/24', AuxiliaryAddresses: { h1: '10.1.0.255' } }, message: 'Invalid aux-address h1=10.1.0.255: it is the broadcast address of 10.1.0.0/24' },
    { name: 'aux-address = default gateway', raw: { Subnet: '10.1.0.0/24', AuxiliaryAddresses: { h1: '10.1.0.1' } }, message: 'Invalid aux-address h1=10.1.0.1: it is the gateway of 10.1.0.0/24' },
    { name: 'aux-address = given gateway', raw: { Subnet: '10.1.0.0/24', Gateway: '10.1.0.9', AuxiliaryAddresses: { h1: '10.1.0.9' } }, message: 'Invalid aux-address h1=10.1.0.9: it is the gateway of 10.1.0.0/24' },
    { name: 'ip-range without a subnet', raw: { IPRange: '10.1.0.0/25' }, message: 'ip-range 10.1.0.0/25 requires a subnet' },
    { name: 'gateway without a subnet', raw: { Gateway: '10.1.0.1' }, message: 'gateway 10.1.0.1 requires a subnet' },
    { name: 'aux-address without a subnet', raw: { AuxiliaryAddresses: { h1: '10.1.0.5' } }, message: 'aux-address h1=10.1.0.5 requires a subnet' },
    { name: 'the loopback range', raw: { Subnet: '127.0.0.0/8' }, message: 'Invalid subnet 127.0.0.0/8 : it overlaps the loopback range 127.0.0.0/8, which cannot be a network' },
    { name: 'a part of loopback', raw: { Subnet: '127.1.0.0/16' }, message: 'Invalid subnet 127.1.0.0/16 : it overlaps the loopback range 127.0.0.0/8, which cannot be a network' },
    { name: 'multicast', raw: { Subnet: '224.0.0.0/4' }, message: 'Invalid subnet 224.0.0.0/4 : it overlaps the multicast range 224.0.0.0/4, which cannot be a network' },
    { name: 'a part of multicast', raw: { Subnet: '239.1.2.0/24' }, message: 'Invalid subnet 239.1.2.0/24 : it overlaps the multicast range 224.0.0.0/4, which cannot be a network' },
    { name: '"this network"', raw: { Subnet: '0.0.0.0/8' }, message: 'Invalid subnet 0.0.0.0/8 : it overlaps the "this network" range 0.0.0.0/8, which cannot be a network' },
    { name: 'a subnet holding loopback', raw: { Subnet: '64.0.0.0/2' }, message: 'Invalid subnet 64.0.0.0/2 : it overlaps the loopback range 127.0.0.0/8, which cannot be a network' },
    { name: 'everything', raw: { Subnet: '0.0.0.0/0' }, message: 'Invalid subnet 0.0.0.0/0 : it overlaps the "this network" range 0.0.0.0/8, which cannot be a network' },
    { name: 'IPv6 multicast', raw: { Subnet: 'ff02::/64' }, message: 'Invalid subnet ff02::/64 : it overlaps the multicast range ff00::/8, which cannot be a network' },
    { name: 'IPv6 loopback', raw: { Subnet: '::/120' }, message: 'Invalid subnet ::/120 : it overlaps the unspecified address range ::/128, which cannot be a network' },
    { name: 'all of IPv6', raw: { Subnet: '::/0' }, message: 'Invalid subnet ::/0 : it overlaps the unspecified address range ::/128, which cannot be a network' },
  ])('rejects $name', ({ raw, family, message }) => {
    expect(() => canonicalize(raw, { ...local, family })).toThrow(
      expect.objectContaining({ kind: 'invalid-parameter', message }),
    );
  });

  it('clears host bits of the subnet, with a warning', () => {
    const { request, warnings } = canonicalize({ Subnet: '10.233.0.5/24' }, local);
    expect(request.subnet?.toString()).toBe('10.233.0.0/24');
    expect(warnings).toEqual(['Subnet 10.233.0.5/24 has host bits set: using 10.233.0.0/24']);
  });

  it('clears host bits of the ip-range, with a warning', () => {
    const { request, warnings } = canonicalize({ Subnet: '10.1.0.0/24', IPRange: '10.1.0.130/25' }, local);
    expect(request.ipRange?.toString()).toBe('10.1.0.128/25');
    expect(warnings).toEqual(['ip-range 10.1.0.130/25 has host bits set: using 10.1.0.128/25']);
  });

  it('keeps a full config in canonical form', () => {
    const { request, warnings } = canonicalize(
      { Subnet: 'FD00:0:0:1::/64', IPRange: 'fd00:0:0:1::100/120', Gateway: 'fd00:0:0:1::ffff', AuxiliaryAddresses: { r: 'fd00:0:0:1::5' } },
      { addressSpace: 'global', family: 6 },
    );
    expect(warnings).toEqual([]);
    expect(JSON.parse(JSON.stringify(request))).toEqual({
      addressSpace: 'global',
      subnet: 'fd00:0:0:1::/64',
      ipRange: 'fd00:0:0:1::100/120',
      gateway: 'fd00:0:0:1::ffff',
      auxAddresses: { r: 'fd00:0:0:1::5' },
    });
  });

  it('turns an empty config into a next-free request of the asked family', () => {
    expect(canonicalize({}, { addressSpace: 'local', family: 6 }).request).toEqual({ addressSpace: 'local', family: 6 });
    expect(canonicalize({}, local).request).toEqual({ addressSpace: 'local', family: 4 });
  });

  it('accepts the largest networks allowed: IPv4 /30 and IPv6 /126', () => {
    expect(canonicalize({ Subnet: '10.1.0.4/30' }, local).request.subnet?.toString()).toBe('10.1.0.4/30');
    expect(canonicalize({ Subnet: 'fd00::/126' }, local).request.subnet?.toString()).toBe('fd00::/126');
  });
});

describe(checkPoolRequest.name, () => {
  const p = Prefix.parse;
  it.each<{ name: string; req: PoolRequest; message: string }>([
    { name: 'a subnet with host bits', req: { addressSpace: 'local', subnet: p('10.1.0.5/24') }, message: 'Invalid subnet 10.1.0.5/24 : host bits set (did you mean 10.1.0.0/24?)' },
    { name: 'an ip-range with host bits', req: { addressSpace: 'local', subnet: p('10.1.0.0/24'), ipRange: p('10.1.0.5/25') }, message: 'Invalid ip-range 10.1.0.5/25 : host bits set (did you mean 10.1.0.0/25?)' },
    { name: 'a prefix length too long for a next-free pool', req: { addressSpace: 'local', family: 4, prefixLength: 31 }, message: 'invalid prefix length /31 for an IPv4 pool (1 to 30)' },
    { name: 'a fractional prefix length', req: { addressSpace: 'local', family: 6, prefixLength: 64.5 }, message: 'invalid prefix length /64.5 for an IPv6 pool (1 to 126)' },
    { name: 'a gateway with noGateway', req: { addressSpace: 'local', subnet: p('10.1.0.0/24'), gateway: IpAddr.parse('10.1.0.1'), noGateway: true }, message: 'gateway 10.1.0.1 given for a pool without a gateway' },
  ])('rejects $name', ({ req, message }) => {
    expect(() => checkPoolRequest(req)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });

  it('lets an aux address take the first address when the pool has no gateway', () => {
    expect(() =>
      checkPoolRequest({ addressSpace: 'global', subnet: p('10.1.0.0/24'), noGateway: true, auxAddresses: { a: IpAddr.parse('10.1.0.1') } }),
    ).not.toThrow();
  });
});
