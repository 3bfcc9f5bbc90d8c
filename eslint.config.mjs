// ESLint flat config. The import boundaries of ../shared/STYLE.md §1 are enforced here, from one
// table: which @app/* libs each project may import, and whether it may touch @nestjs/* or spawn
// processes. tools/lint-boundaries.spec.ts proves that a violation fails lint.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LIBS = ['common', 'kernel', 'ipam', 'drivers', 'overlay', 'dns', 'image', 'container', 'volume', 'api', 'proto'];

/** dir → what it may import. `nest`: may import @nestjs/*; `spawn`: may import child_process. */
const BOUNDARIES = {
  'libs/common': { libs: [] },
  'libs/kernel': { libs: ['common'], spawn: true },
  'libs/ipam': { libs: ['common'] },
  'libs/drivers': { libs: ['common', 'kernel', 'ipam', 'overlay'] },
  'libs/overlay': { libs: ['common', 'proto'] },
  'libs/dns': { libs: ['common', 'kernel'] },
  'libs/container': { libs: ['common', 'kernel'] },
  'libs/image': { libs: ['common'] },
  'libs/volume': { libs: ['common'] },
  'libs/api': { libs: ['common'] },
  'apps/cli': { libs: ['api', 'common'] },
  'apps/netd': { libs: LIBS, nest: true },
};

const SPAWN = ['child_process', 'node:child_process'];
const TEST_FILES = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/testing/**'];

function restrictions({ libs, nest = false, spawn = false }, forTests) {
  const paths = [];
  const patterns = [];
  const forbidden = LIBS.filter((l) => !libs.includes(l));
  if (forbidden.length > 0) {
    patterns.push({
      group: forbidden.flatMap((l) => [`@app/${l}`, `@app/${l}/*`]),
      message: 'Import boundary (STYLE.md §1): this project may not depend on that lib.',
    });
  }
  if (!nest) {
    patterns.push({ group: ['@nestjs/*'], message: 'Libs stay framework-free: only apps/netd imports @nestjs/*.' });
  }
  if (!spawn && !forTests) {
    for (const name of SPAWN) {
      paths.push({ name, message: 'Only libs/kernel spawns processes (ip, nft, runc …).' });
    }
  }
  if (!forTests) {
    patterns.push({
      group: ['@app/*/testing', '@app/*/testing/*', '**/testing', '**/testing/*'],
      message: 'Fakes and test fixtures are for tests only.',
    });
  }
  return ['error', { paths, patterns }];
}

const boundaryConfigs = Object.entries(BOUNDARIES).flatMap(([dir, rule]) => [
  { files: [`${dir}/**/*.ts`], rules: { 'no-restricted-imports': restrictions(rule, false) } },
  { files: TEST_FILES.map((g) => `${dir}/${g}`), rules: { 'no-restricted-imports': restrictions(rule, true) } },
]);

/**
 * One composition root: the daemon's services, drivers, stores and container runtime are constructed
 * only in apps/netd/src/composition-root.ts (tests build their own). A `new XService(…)` anywhere
 * else in apps/netd is a second assembly of the daemon. A rule of its own (not no-restricted-syntax)
 * so that no other block's setting of a shared rule can switch it off.
 * tools/lint-composition-root.spec.ts proves that a violation fails lint.
 */
const COMPOSITION_ROOT = 'apps/netd/src/composition-root.ts';
const COMPOSED = /(Service|Views|Networking|Manager|Driver|DriverSet|Routes|StepRunner|Ipam)$|^(Sqlite[A-Za-z]*Store|StateStore|ClusterStore|RuncRuntime|Images|Volumes)$/;
const compositionRootPlugin = {
  rules: {
    'construct-in-root': {
      meta: {
        type: 'problem',
        schema: [],
        messages: { elsewhere: `{{name}} is built once, in ${COMPOSITION_ROOT}; take it as a constructor dependency instead.` },
      },
      create(context) {
        return {
          NewExpression(node) {
            if (node.callee.type === 'Identifier' && COMPOSED.test(node.callee.name)) {
              context.report({ node, messageId: 'elsewhere', data: { name: node.callee.name } });
            }
          },
        };
      },
    },
  },
};

/**
 * Driver names stay in libs/drivers: the daemon asks a driver's capabilities (usesPools, singleton,
 * sandbox — libs/drivers/src/driver-api.ts) instead of testing its name, so a new driver needs no
 * change in the services. Fails on a comparison of a driver-valued expression (an identifier named
 * like `driver`/`driverName`, a `.driver`/`.driverName` property, a driver's `.type`) with a driver
 * name: `===`/`!==`/`==`/`!=`, a `switch` case, and `includes`/`has`/`indexOf` on a list or set of
 * driver names (written in place or held by a variable). Network names ('bridge' the default
 * network) and network modes (`--network host`) are not driver names and are not checked.
 * A rule of its own, like construct-in-root, so that no block's no-restricted-syntax overrides it.
 * tools/lint-driver-names.spec.ts proves that a violation fails lint.
 */
const DRIVER_NAMES = new Set(['bridge', 'host', 'null', 'none', 'overlay']);
const driverNamesPlugin = {
  rules: {
    'no-driver-name-test': {
      meta: {
        type: 'problem',
        schema: [],
        messages: { byName: 'Driver "{{name}}" tested by name outside libs/drivers: ask the driver\'s capabilities (DriverSet.capabilitiesOf, NetworksService.capabilities) instead.' },
      },
      create(context) {
        const unwrap = (n) => {
          while (n && ['ChainExpression', 'TSAsExpression', 'TSNonNullExpression', 'TSSatisfiesExpression'].includes(n.type)) n = n.expression;
          return n;
        };
        const nameOf = (n) => {
          n = unwrap(n);
          if (n?.type === 'Literal' && typeof n.value === 'string') return n.value;
          if (n?.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0].value.cooked;
          return undefined;
        };
        const isDriverName = (n) => DRIVER_NAMES.has(nameOf(n) ?? '');
        const DRIVERISH = /^driver(name|type)?s?$/i;
        const isDriverValued = (n) => {
          n = unwrap(n);
          if (!n) return false;
          if (n.type === 'Identifier') return DRIVERISH.test(n.name);
          if (n.type === 'MemberExpression' && !n.computed && n.property.type === 'Identifier') {
            if (DRIVERISH.test(n.property.name)) return true;
            // a driver's own name: driver.type, this.driver.type, drivers.get(x)?.type
            if (n.property.name === 'type') return /driver/i.test(context.sourceCode.getText(n.object));
          }
          return false;
        };
        /** The driver names a list/set expression holds, following a const to its initialiser. */
        const listed = (n, node) => {
          n = unwrap(n);
          if (n?.type === 'Identifier') {
            let scope = context.sourceCode.getScope(node);
            while (scope) {
              const v = scope.set.get(n.name);
              if (v) {
                const def = v.defs[0];
                return def?.type === 'Variable' && def.node.init ? listed(def.node.init, node) : [];
              }
              scope = scope.upper;
            }
            return [];
          }
          if (n?.type === 'NewExpression' && n.arguments.length > 0) return listed(n.arguments[0], node);
          if (n?.type === 'ArrayExpression') return n.elements.filter((e) => e && isDriverName(e)).map(nameOf);
          return [];
        };
        const report = (node, name) => context.report({ node, messageId: 'byName', data: { name } });
        return {
          BinaryExpression(node) {
            if (!['===', '!==', '==', '!='].includes(node.operator)) return;
            if (isDriverName(node.right) && isDriverValued(node.left)) report(node, nameOf(node.right));
            else if (isDriverName(node.left) && isDriverValued(node.right)) report(node, nameOf(node.left));
          },
          SwitchStatement(node) {
            if (!isDriverValued(node.discriminant)) return;
            for (const c of node.cases) if (c.test && isDriverName(c.test)) report(c, nameOf(c.test));
          },
          CallExpression(node) {
            const callee = unwrap(node.callee);
            if (callee?.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier') return;
            if (!['includes', 'has', 'indexOf'].includes(callee.property.name) || !isDriverValued(node.arguments[0])) return;
            const names = listed(callee.object, node);
            if (names.length > 0) report(node, names.join('", "'));
          },
        };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'proto/gen/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...boundaryConfigs,
  {
    files: ['bench/**/*.ts', 'e2e/**/*.ts', 'tools/**/*.ts', 'apps/cli/**/*.ts', '**/*.spec.ts', '**/*.int-spec.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['apps/netd/src/**/*.ts'],
    ignores: [COMPOSITION_ROOT, ...TEST_FILES],
    plugins: { 'composition-root': compositionRootPlugin },
    rules: { 'composition-root/construct-in-root': 'error' },
  },
  {
    files: ['apps/**/*.ts'],
    ignores: TEST_FILES,
    plugins: { 'driver-names': driverNamesPlugin },
    rules: { 'driver-names/no-driver-name-test': 'error' },
  },
);
