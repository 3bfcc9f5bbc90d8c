#!/usr/bin/env node
// `npm test`: every check and every suite. Phase 1 runs lint, type-check and unit tests side by
// side; phase 2 builds; phase 3 runs the root integration and e2e suites side by side (each test
// makes its own uniquely named namespaces, so they do not collide). Prints one closing line
// "tests: N passed, N failed" summed over the jest suites, and exits non-zero on any failure.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, '.test-out');
mkdirSync(out, { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);

// On a fresh clone (the README's test command run first) nothing is installed yet: install what
// the suites need, as the start command does, instead of failing on a missing jest.
if (!existsSync(bin('jest'))) {
  process.stdout.write('node_modules is missing: running `bash .ci/run --deps-only` first\n');
  const deps = spawnSync('bash', [join(root, '.ci', 'run'), '--deps-only'], { cwd: root, stdio: 'inherit' });
  if (deps.status !== 0) process.exit(deps.status ?? 1);
}

function run(label, cmd, args) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('close', (code, signal) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`\n===== ${label} (${secs}s, exit ${code ?? signal})\n${text}`);
      resolve(code === 0);
    });
  });
}

const jest = (label, config, inBand) => {
  const json = join(out, `${label}.json`);
  const args = ['-c', config, '--ci', '--passWithNoTests', '--json', '--outputFile', json];
  return { label, json, run: () => run(label, bin('jest'), inBand ? [...args, '--runInBand'] : args) };
};

const suites = {
  unit: jest('unit', 'jest.config.js', false),
  int: jest('int', 'jest.int.config.js', true),
  e2e: jest('e2e', 'e2e/jest.e2e.config.js', true),
};

const results = [];
results.push(
  ...(await Promise.all([
    run('lint', bin('eslint'), ['--max-warnings', '0', '.']),
    run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']),
    suites.unit.run(),
  ])),
);
results.push(await run('build', 'npm', ['run', '--silent', 'build']));
results.push(...(await Promise.all([suites.int.run(), suites.e2e.run()])));

let passed = 0;
let failed = 0;
for (const s of Object.values(suites)) {
  if (!existsSync(s.json)) {
    failed++;
    console.log(`${s.label}: no results (the runner crashed)`);
    continue;
  }
  const r = JSON.parse(readFileSync(s.json, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  console.log(`${s.label}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped (${r.numTotalTestSuites} suites)`);
}
const ok = results.every(Boolean) && failed === 0;
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
