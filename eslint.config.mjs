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
);
