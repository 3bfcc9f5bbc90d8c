// Shared jest settings: @swc/jest (decorator metadata on) and the @app/* aliases of tsconfig.json.
const path = require('node:path');
const fs = require('node:fs');

const root = __dirname;
const swc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
delete swc.$schema;

const libs = ['common', 'kernel', 'ipam', 'drivers', 'overlay', 'dns', 'image', 'container', 'volume', 'api'];
const moduleNameMapper = {};
for (const lib of libs) {
  moduleNameMapper[`^@app/${lib}$`] = `<rootDir>/libs/${lib}/src`;
  moduleNameMapper[`^@app/${lib}/(.*)$`] = `<rootDir>/libs/${lib}/src/$1`;
}
moduleNameMapper['^@app/proto$'] = '<rootDir>/proto/gen';
moduleNameMapper['^@app/proto/(.*)$'] = '<rootDir>/proto/gen/$1';

module.exports = {
  rootDir: root,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', swc] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
