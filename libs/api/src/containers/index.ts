export * from './container-create.request';
export * from './container.response';
