// Unit tests: no root, no kernel. `npm run test:unit`.
const base = require('./jest.base');

module.exports = {
  ...base,
  displayName: 'unit',
  testMatch: ['<rootDir>/{apps,libs,tools,bench}/**/*.spec.ts'],
};
