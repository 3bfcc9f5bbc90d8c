export * from './runc-cli';
export * from './conmon';
export * from './overlay-mount';
export * from './process';
export * from './conmon-attach';
export * from './conmon-exec';
export * from './exec-fifo';
