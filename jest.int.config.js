// Integration tests: root, real network namespaces. `npm run test:int` (run in band).
const base = require('./jest.base');

module.exports = {
  ...base,
  displayName: 'int',
  testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
  testTimeout: 60_000,
};
