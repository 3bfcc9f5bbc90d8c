export * from './ipam.contract';
export * from './store/ipam-store.port';
export { MemoryIpamStore } from './store/memory-ipam-store';
export { DefaultIpam } from './ipam';
export type { DefaultIpamOptions } from './ipam';
export {
  canonicalize,
  checkPoolRequest,
  defaultGateway,
  MAX_PREFIX_LENGTH,
} from './canonicalize';
export type { CanonicalizeOptions } from './canonicalize';
export {
  DEFAULT_GLOBAL_POOLS,
  DEFAULT_LOCAL_POOLS,
  ULA_SUBNET_SIZE,
  ulaPrefix,
} from './default-pools';
export type { PoolSpec } from './default-pools';
export { subnetsByFamily, type PoolSubnet } from './subnets';
export { DOCKER_ADDRESS_IN_USE, DOCKER_POOL_OVERLAP } from './ipam.errors';
export { Range, PoolLayout } from './range';
export { RangeSet } from './range-set';
