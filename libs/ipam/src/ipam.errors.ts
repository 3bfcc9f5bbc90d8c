import {
  ConflictError,
  InvalidParameterError,
  IpAddr,
  NotFoundError,
  Prefix,
  SystemError,
  UnavailableError,
} from '@app/common';
import type { Reservation } from './range';

/**
 * Every IPAM error text in one place. Where Docker has a text, ours starts with it (clients and
 * scripts match on it) and then says what Docker leaves out: which pool, which address, why.
 * Overlap and "address in use" are Conflict (409), not libnetwork's Forbidden: see errors.ts.
 */
export const DOCKER_POOL_OVERLAP = 'Pool overlaps with other one on this address space';
export const DOCKER_ADDRESS_IN_USE = 'Address already in use';

/** What a requested pool collided with. */
export type OverlapOwner = { readonly kind: 'pool'; readonly networkId: string } | { readonly kind: 'route' };

export function poolOverlaps(requested: Prefix, existing: Prefix, owner: OverlapOwner): ConflictError {
  const what = owner.kind === 'pool' ? `${existing} of network ${owner.networkId}` : `host route ${existing}`;
  return new ConflictError(`${DOCKER_POOL_OVERLAP}: ${requested} overlaps ${what}`);
}

export function noFreePool(addressSpace: string, family: number, prefixLength: number | undefined): UnavailableError {
  const size = prefixLength === undefined ? '' : ` of size /${prefixLength}`;
  return new UnavailableError(
    `all predefined address pools have been fully subnetted: no free IPv${family} pool${size} in the ${addressSpace} address space`,
  );
}

export function noPoolFits(addressSpace: string, family: number, prefixLength: number): InvalidParameterError {
  return new InvalidParameterError(
    `no predefined IPv${family} address pool of the ${addressSpace} address space can hold a /${prefixLength} subnet`,
  );
}

export function noUlaBase(): UnavailableError {
  return new UnavailableError(
    'no IPv6 address pool: give default-address-pools an IPv6 base, or a host id to derive a ULA prefix from',
  );
}

export function poolNotFound(poolId: string): NotFoundError {
  return new NotFoundError(`IPAM pool ${poolId} not found`);
}

export function poolExhausted(subnet: Prefix, ipRange?: Prefix): UnavailableError {
  const range = ipRange ? ` (ip-range ${ipRange})` : '';
  return new UnavailableError(`no available addresses in pool ${subnet}${range}`);
}

/** Docker: "Invalid address 10.240.0.5: It does not belong to any of this network's subnets." */
export function addressOutsidePool(ip: IpAddr): InvalidParameterError {
  return new InvalidParameterError(`Invalid address ${ip}: It does not belong to any of this network's subnets.`);
}

export function addressReserved(ip: IpAddr, subnet: Prefix, r: Reservation): InvalidParameterError | ConflictError {
  switch (r.kind) {
    case 'network':
      return new InvalidParameterError(`Invalid address ${ip}: it is the network address of ${subnet}`);
    case 'broadcast':
      return new InvalidParameterError(`Invalid address ${ip}: it is the broadcast address of ${subnet}`);
    case 'gateway':
      return new ConflictError(`${DOCKER_ADDRESS_IN_USE}: ${ip} is the gateway of ${subnet}`);
    case 'aux':
      return new ConflictError(`${DOCKER_ADDRESS_IN_USE}: ${ip} is reserved as aux-address ${r.name} of ${subnet}`);
  }
}

export function addressInUse(ip: IpAddr, subnet: Prefix): ConflictError {
  return new ConflictError(`${DOCKER_ADDRESS_IN_USE}: ${ip} is already allocated in ${subnet}`);
}

export function addressNotAllocated(ip: IpAddr, subnet: Prefix): NotFoundError {
  return new NotFoundError(`address ${ip} is not allocated in ${subnet}`);
}

export function releaseReserved(ip: IpAddr, subnet: Prefix, r: Reservation): InvalidParameterError {
  const what = r.kind === 'aux' ? `aux-address ${r.name}` : `${r.kind} address`;
  return new InvalidParameterError(
    `address ${ip} is the ${what} of ${subnet}: it is released with the pool, not on its own`,
  );
}

export function corruptState(what: string, cause?: unknown): SystemError {
  return new SystemError(`corrupt IPAM state: ${what}`, { cause });
}
