export * from './errors';
export * from './ip';
export * from './ids';
export * from './resolv-conf';
export * from './dockerignore';
export * from './timestamp';
export * from './filters';
export * from './image-reference';
