export * from './container-create.request';
export * from './container.response';
export * from './exec.request';
