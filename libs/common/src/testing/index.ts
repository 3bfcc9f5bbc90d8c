export * from './eventually';
export * from './prng';
