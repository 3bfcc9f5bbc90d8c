#!/usr/bin/env node
// Bundles netctl into dist/cli/netctl.js (CommonJS, executable). Each command handler is its own
// bundle under dist/cli/handlers/, reached from the command definition's dynamic import (kept
// external here), so a run parses only the handler it needs. CommonJS rather than ESM because
// node 20 starts a CommonJS entry measurably faster (bench/cli). `node apps/cli/build.mjs`.
import { build } from 'esbuild';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const outdir = join(root, 'dist', 'cli');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** `import('./x.handler')` → `require('<prefix>x.handler.js')`, left to run time. */
const lazyHandlers = (prefix) => ({
  name: 'lazy-handlers',
  setup(b) {
    b.onResolve({ filter: /\.handler$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: `${prefix}${basename(args.path)}.js`, external: true } : undefined,
    );
  },
});

/**
 * commander loads node:child_process (~2.5 ms) only for executable subcommands, which netctl
 * never uses; hand it a stand-in that loads the real module on first use.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('node_modules/commander') ? { path: 'lazy-child-process', namespace: 'netctl' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'netctl' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, k) => require('node:child_process')[k] });",
      loader: 'js',
    }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  tsconfig: join(root, 'tsconfig.json'),
  define: { NETCTL_VERSION: JSON.stringify(version) },
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};

const handlers = readdirSync(join(root, 'apps/cli/src/commands'), { recursive: true })
  .filter((f) => String(f).endsWith('.handler.ts'))
  .map((f) => join(root, 'apps/cli/src/commands', String(f)));

rmSync(outdir, { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: [join(root, 'apps/cli/src/main.ts')],
    outfile: join(outdir, 'netctl.js'),
    banner: { js: '#!/usr/bin/env node' },
    plugins: [lazyHandlers('./handlers/'), lazyChildProcess],
  }),
  build({ ...common, entryPoints: handlers, outdir: join(outdir, 'handlers'), entryNames: '[name]', plugins: [lazyHandlers('./')] }),
]);
// esbuild keeps an external dynamic import as `import()`, which sends each run through node's
// ESM loader (format detection, cjs-module-lexer: ≈ 5 ms here). The handlers are CommonJS
// bundles: load them with require instead.
for (const file of [join(outdir, 'netctl.js'), ...readdirSync(join(outdir, 'handlers')).map((f) => join(outdir, 'handlers', f))]) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(/\bimport\(("\.\/(?:handlers\/)?[\w.-]+\.handler\.js")\)/g, 'Promise.resolve().then(()=>require($1))');
  if (out !== text) writeFileSync(file, out);
}
chmodSync(join(outdir, 'netctl.js'), 0o755);
