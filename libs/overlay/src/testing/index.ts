export * from './fake-discovery';
