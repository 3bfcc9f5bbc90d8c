import { InvalidParameterError, IpAddr, IpFamily, Prefix } from '@app/common';
import type { AddressSpace, CanonicalPool, PoolRequest, RawPoolConfig } from './ipam.contract';
import { usableRange } from './range';

/**
 * The longest prefix that still makes a network: an IPv4 /30 has two usable addresses (gateway +
 * one container); /31 and /32 have none once network and broadcast are set aside. IPv6 keeps the
 * same two spare addresses (anycast + gateway) at /126.
 */
export const MAX_PREFIX_LENGTH: Readonly<Record<IpFamily, number>> = { 4: 30, 6: 126 };

/**
 * Ranges no network may overlap: the kernel never routes them to a bridge (loopback, "this
 * network", the unspecified address) or they are not unicast (multicast), so a network there
 * would never carry traffic and could capture the host's own loopback.
 */
export const RESERVED_RANGES: readonly { prefix: Prefix; what: string }[] = [
  { prefix: Prefix.parse('0.0.0.0/8'), what: '"this network"' },
  { prefix: Prefix.parse('127.0.0.0/8'), what: 'loopback' },
  { prefix: Prefix.parse('224.0.0.0/4'), what: 'multicast' },
  { prefix: Prefix.parse('::/128'), what: 'unspecified address' },
  { prefix: Prefix.parse('::1/128'), what: 'loopback' },
  { prefix: Prefix.parse('ff00::/8'), what: 'multicast' },
];

export interface CanonicalizeOptions {
  readonly addressSpace: AddressSpace;
  /** The family a config without a subnet asks for, and that a subnet must have. Default 4. */
  readonly family?: IpFamily;
}

/**
 * Turn one raw IPAM config entry into a validated {@link PoolRequest}. Host bits in the subnet or
 * ip-range are cleared, with a warning (Docker stores them verbatim). Everything else that is
 * wrong throws InvalidParameterError with a message modelled on Docker's.
 */
export function canonicalize(raw: RawPoolConfig, opts: CanonicalizeOptions): CanonicalPool {
  const warnings: string[] = [];
  const aux = Object.entries(raw.AuxiliaryAddresses ?? {});
  if (!raw.Subnet) {
    if (raw.IPRange) throw new InvalidParameterError(`ip-range ${raw.IPRange} requires a subnet`);
    if (raw.Gateway) throw new InvalidParameterError(`gateway ${raw.Gateway} requires a subnet`);
    if (aux.length > 0) throw new InvalidParameterError(`aux-address ${aux[0][0]}=${aux[0][1]} requires a subnet`);
    return { request: { addressSpace: opts.addressSpace, family: opts.family ?? 4 }, warnings };
  }

  const given = Prefix.tryParse(raw.Subnet);
  if (!given) throw new InvalidParameterError(`Invalid subnet ${raw.Subnet} : invalid CIDR address: ${raw.Subnet}`);
  if (opts.family !== undefined && given.family !== opts.family) {
    throw new InvalidParameterError(`Invalid subnet ${raw.Subnet} : not an IPv${opts.family} subnet`);
  }
  const subnet = given.network();
  if (!given.isNetwork) warnings.push(`Subnet ${given} has host bits set: using ${subnet}`);

  let ipRange: Prefix | undefined;
  if (raw.IPRange) {
    const r = Prefix.tryParse(raw.IPRange);
    if (!r) throw new InvalidParameterError(`Invalid ip-range ${raw.IPRange} : invalid CIDR address: ${raw.IPRange}`);
    ipRange = r.network();
    if (!r.isNetwork && r.family === subnet.family) warnings.push(`ip-range ${r} has host bits set: using ${ipRange}`);
  }
  const gateway = raw.Gateway ? parseAddress('gateway', raw.Gateway) : undefined;
  const auxAddresses: Record<string, IpAddr> = {};
  for (const [name, text] of aux) auxAddresses[name] = parseAddress(`aux-address ${name}=`, text);

  const request: PoolRequest = {
    addressSpace: opts.addressSpace,
    subnet,
    ...(ipRange && { ipRange }),
    ...(gateway && { gateway }),
    ...(aux.length > 0 && { auxAddresses }),
  };
  checkPoolRequest(request);
  return { request, warnings };
}

/**
 * Validate a typed request (what `canonicalize` returns, or one built in code). Throws
 * InvalidParameterError; host bits are an error here, since canonical input has none.
 */
export function checkPoolRequest(req: PoolRequest): void {
  const { subnet, ipRange, gateway } = req;
  const aux = Object.entries(req.auxAddresses ?? {});
  if (!subnet) {
    if (ipRange) throw new InvalidParameterError(`ip-range ${ipRange} requires a subnet`);
    if (gateway) throw new InvalidParameterError(`gateway ${gateway} requires a subnet`);
    if (aux.length > 0) throw new InvalidParameterError(`aux-address ${aux[0][0]}=${aux[0][1]} requires a subnet`);
    const family = req.family ?? 4;
    if (family !== 4 && family !== 6) throw new InvalidParameterError(`invalid address family ${String(family)}`);
    const max = MAX_PREFIX_LENGTH[family];
    const len = req.prefixLength;
    if (len !== undefined && (!Number.isInteger(len) || len < 1 || len > max)) {
      throw new InvalidParameterError(`invalid prefix length /${len} for an IPv${family} pool (1 to ${max})`);
    }
    return;
  }
  const max = MAX_PREFIX_LENGTH[subnet.family];
  if (subnet.length > max) {
    throw new InvalidParameterError(
      `Invalid subnet ${subnet} : a /${subnet.length} is too small for an IPv${subnet.family} network (at most /${max})`,
    );
  }
  if (!subnet.isNetwork) {
    throw new InvalidParameterError(`Invalid subnet ${subnet} : host bits set (did you mean ${subnet.network()}?)`);
  }
  const special = RESERVED_RANGES.find((r) => r.prefix.family === subnet.family && r.prefix.overlaps(subnet));
  if (special) {
    throw new InvalidParameterError(`Invalid subnet ${subnet} : it overlaps the ${special.what} range ${special.prefix}, which cannot be a network`);
  }
  if (ipRange) {
    if (ipRange.family !== subnet.family || !subnet.containsPrefix(ipRange)) {
      throw new InvalidParameterError(`no matching subnet for range ${ipRange}: ${where(ipRange.family, subnet)}`);
    }
    if (!ipRange.isNetwork) {
      throw new InvalidParameterError(`Invalid ip-range ${ipRange} : host bits set (did you mean ${ipRange.network()}?)`);
    }
    if (usableRange(subnet, ipRange).size === 0n) {
      throw new InvalidParameterError(`ip-range ${ipRange} holds no usable address of ${subnet}`);
    }
  }
  if (gateway) {
    if (req.noGateway) throw new InvalidParameterError(`gateway ${gateway} given for a pool without a gateway`);
    checkInside('gateway', gateway, subnet);
    checkNotSpecial('Invalid gateway', gateway, subnet);
  }
  for (const [name, ip] of aux) {
    checkInside(`aux-address ${name}=`, ip, subnet);
    checkNotSpecial(`Invalid aux-address ${name}=`, ip, subnet);
    if (ip.equals(gateway ?? defaultGateway(subnet)) && !req.noGateway) {
      throw new InvalidParameterError(`Invalid aux-address ${name}=${ip}: it is the gateway of ${subnet}`);
    }
  }
}

/** Docker's default gateway: the first usable address. */
export function defaultGateway(subnet: Prefix): IpAddr {
  return subnet.nth(1n);
}

function parseAddress(what: string, text: string): IpAddr {
  const ip = IpAddr.tryParse(text);
  const sep = what.endsWith('=') ? '' : ' ';
  if (!ip) throw new InvalidParameterError(`Invalid ${what}${sep}${text} : invalid IP address: ${text}`);
  return ip;
}

function where(family: IpFamily, subnet: Prefix): string {
  return family === subnet.family ? `not inside ${subnet}` : `an IPv${family} value for the IPv${subnet.family} subnet ${subnet}`;
}

function checkInside(what: string, ip: IpAddr, subnet: Prefix): void {
  if (!subnet.contains(ip)) {
    const sep = what.endsWith('=') ? '' : ' ';
    throw new InvalidParameterError(`no matching subnet for ${what}${sep}${ip}: ${where(ip.family, subnet)}`);
  }
}

function checkNotSpecial(what: string, ip: IpAddr, subnet: Prefix): void {
  const sep = what.endsWith('=') ? '' : ' ';
  if (ip.equals(subnet.first)) {
    throw new InvalidParameterError(`${what}${sep}${ip}: it is the network address of ${subnet}`);
  }
  if (subnet.family === 4 && ip.equals(subnet.last)) {
    throw new InvalidParameterError(`${what}${sep}${ip}: it is the broadcast address of ${subnet}`);
  }
}
