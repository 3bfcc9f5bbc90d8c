import { IpAddr, Prefix } from '@app/common';
import type { AllocatedPool } from './ipam.contract';
import { subnetsByFamily } from './subnets';

const pool = (subnet: string, gateway?: string): AllocatedPool => ({
  poolId: `local/${subnet}`, networkId: 'n', addressSpace: 'local', subnet: Prefix.parse(subnet),
  ...(gateway && { gateway: IpAddr.parse(gateway) }), auxAddresses: {},
});

describe(subnetsByFamily.name, () => {
  it('splits pools by family, keeping their order and gateways', () => {
    const { ipv4, ipv6 } = subnetsByFamily([pool('fd00::/64', 'fd00::1'), pool('10.1.0.0/24', '10.1.0.1'), pool('10.2.0.0/24')]);
    expect(ipv4.map((s) => `${s.subnet} ${s.gateway}`)).toEqual(['10.1.0.0/24 10.1.0.1', '10.2.0.0/24 undefined']);
    expect(ipv6.map((s) => `${s.subnet} ${s.gateway}`)).toEqual(['fd00::/64 fd00::1']);
  });
});
