#!/usr/bin/env node
// Runs every benchmark bench/<name>/main.ts (or only those named: `npm run bench -- ipam attach`).
// Each is bundled with esbuild (tsconfig paths resolved, native packages left external) into
// .bench-out/ and run with node, one after another so that they do not disturb each other.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const names = readdirSync(join(root, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'bench', d.name, 'main.ts')))
  .map((d) => d.name)
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

let failed = 0;
for (const name of names) {
  const outfile = join(root, '.bench-out', `${name}.js`);
  await build({
    entryPoints: [join(root, 'bench', name, 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile,
    sourcemap: 'inline',
    external: ['netlink', 'koffi', 'better-sqlite3', '@nestjs/*', 'fastify', 'pino', 'class-validator', 'class-transformer', 'hyperswarm', 'hyperdht', 'udx-native', 'sodium-native'],
    logLevel: 'warning',
  });
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(process.execPath, ['--expose-gc', outfile], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    failed++;
    console.log(`bench/${name} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
