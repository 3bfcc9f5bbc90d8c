export * from './fake-runtime';
export * from './memory-container-store';
export * from './runtime.contract';
export * from './busybox';
