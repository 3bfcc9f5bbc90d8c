export * from './dns-backend';
export * from './memory-dns-backend';
export * from './dns-resolver';
export * from './dns-server';
export * from './forwarder';
export * from './resolv-conf';
export * from './dns-stats';
