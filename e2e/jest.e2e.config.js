// End-to-end tests: built apps, root, several namespaces as hosts. `npm run test:e2e`.
const base = require('../jest.base');

module.exports = {
  ...base,
  displayName: 'e2e',
  testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'],
  testTimeout: 180_000,
};
