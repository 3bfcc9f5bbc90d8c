import type { IpamPoolDto } from '@app/api';
import { IpAddr, Prefix } from '@app/common/ip';
import { UsageError } from '../../client/errors';
import * as messages from '../../messages';

export interface IpamFlags {
  subnets: readonly string[];
  ipRanges: readonly string[];
  gateways: readonly string[];
  /** `name=address` */
  auxAddresses: readonly string[];
}

/**
 * docker's consolidateIpam (cli/command/network/create.go): each --ip-range, --gateway and
 * --aux-address belongs to the subnet that contains it, whatever order the flags came in.
 * A lone subnet is sent unparsed so the daemon reports a bad CIDR, exactly as with docker.
 */
export function consolidateIpam(flags: IpamFlags): IpamPoolDto[] {
  const { subnets } = flags;
  if (subnets.length < flags.ipRanges.length || subnets.length < flags.gateways.length) {
    throw new UsageError(messages.ipam.needSubnet);
  }
  const pools = new Map<string, IpamPoolDto>();
  for (const s of subnets) {
    for (const k of pools.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new UsageError(messages.ipam.overlapping);
    }
    pools.set(s, { Subnet: s });
  }
  for (const r of flags.ipRanges) {
    if (!Prefix.tryParse(r)) throw new UsageError(`invalid CIDR address: ${r}`);
    const owners = subnets.filter((s) => subnetMatches(s, r));
    if (owners.length === 0) throw new UsageError(messages.ipam.noSubnetForRange(r));
    for (const s of owners) {
      const pool = pools.get(s)!;
      if (pool.IPRange) throw new UsageError(messages.ipam.multipleRanges(r, pool.IPRange, s));
      pool.IPRange = r;
    }
  }
  for (const g of flags.gateways) {
    const owners = subnets.filter((s) => subnetMatches(s, g));
    if (owners.length === 0) throw new UsageError(messages.ipam.noSubnetForGateway(g));
    for (const s of owners) {
      const pool = pools.get(s)!;
      if (pool.Gateway) throw new UsageError(messages.ipam.multipleGateways(g, pool.Gateway, s));
      pool.Gateway = g;
    }
  }
  for (const entry of flags.auxAddresses) {
    const eq = entry.indexOf('=');
    const [name, addr] = eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
    const owners = subnets.filter((s) => subnetMatches(s, addr));
    if (owners.length === 0) throw new UsageError(messages.ipam.noSubnetForAux(addr));
    for (const s of owners) {
      const pool = pools.get(s)!;
      pool.AuxiliaryAddresses = { ...pool.AuxiliaryAddresses, [name]: addr };
    }
  }
  return [...pools.values()];
}

/** Go's subnetMatches: does `subnet` contain the address (or the address part of a CIDR)? */
function subnetMatches(subnet: string, data: string): boolean {
  const s = Prefix.tryParse(subnet);
  if (!s) throw new UsageError(messages.ipam.invalidSubnet(subnet));
  let ip: IpAddr | undefined;
  if (data.includes('/')) {
    const p = Prefix.tryParse(data);
    if (!p) throw new UsageError(`invalid CIDR address: ${data}`);
    ip = p.address;
  } else {
    ip = IpAddr.tryParse(data);
  }
  return ip !== undefined && s.contains(ip);
}
