export * from './mount-spec';
