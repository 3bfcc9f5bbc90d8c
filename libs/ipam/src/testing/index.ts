export { describeIpamStoreContract } from './ipam-store.contract';
