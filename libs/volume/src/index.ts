export * from './volume-name';
export * from './volume-store.port';
export * from './memory-volume-store';
export * from './volume-filters';
export * from './local-driver';
export * from './volumes';
export * from './mounts';
