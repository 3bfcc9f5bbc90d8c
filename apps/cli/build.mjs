#!/usr/bin/env node
// Bundles netctl into dist/cli (CommonJS): netctl-main.js (the program) and one bundle per command
// handler under handlers/, reached from the command definition's dynamic import (kept external
// here), so a run parses only the handler it needs. netctl.js, the executable, is the launcher
// (src/launcher.ts) that loads those bundles with the V8 code cache this script writes next to
// them after a training run. CommonJS rather than ESM because node 20 starts a CommonJS entry
// measurably faster (bench/cli). `node apps/cli/build.mjs`.
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const outdir = join(root, 'dist', 'cli');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// written by scripts/build-info.mjs just before this script in `npm run build`
const buildInfo = join(root, 'dist', 'build-info.json');
const commit = existsSync(buildInfo) ? JSON.parse(readFileSync(buildInfo, 'utf8')).commit : 'unknown';

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
  define: { NETCTL_VERSION: JSON.stringify(version), NETCTL_COMMIT: JSON.stringify(commit) },
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
    outfile: join(outdir, 'netctl-main.js'),
    plugins: [lazyHandlers('./handlers/'), lazyChildProcess],
  }),
  build({
    ...common,
    entryPoints: [join(root, 'apps/cli/src/launcher.ts')],
    outfile: join(outdir, 'netctl.js'),
    banner: { js: '#!/usr/bin/env node' },
  }),
  build({ ...common, entryPoints: handlers, outdir: join(outdir, 'handlers'), entryNames: '[name]', plugins: [lazyHandlers('./')] }),
]);
// esbuild keeps an external dynamic import as `import()`, which sends each run through node's
// ESM loader (format detection, cjs-module-lexer: ≈ 5 ms here), and which the launcher's
// vm.Script cannot run at all (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). The handlers are
// CommonJS bundles and node: builtins load with require: rewrite every one, and refuse to
// build a bundle that still has an import().
const bundles = [join(outdir, 'netctl-main.js'), ...readdirSync(join(outdir, 'handlers')).map((f) => join(outdir, 'handlers', f))];
for (const file of bundles) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(/\bimport\(("(?:\.\/(?:handlers\/)?[\w.-]+\.handler\.js|node:[\w/]+)")\)/g, 'Promise.resolve().then(()=>require($1))');
  const left = /\bimport\([^)]{0,60}\)/.exec(out);
  if (left) throw new Error(`${file}: ${left[0]} would fail under the launcher; load it with require or bundle it`);
  if (out !== text) writeFileSync(file, out);
}
chmodSync(join(outdir, 'netctl.js'), 0o755);
await writeCodeCaches();

/**
 * Training: a few everyday commands run against a stub daemon with NETCTL_CODE_CACHE=write, so
 * the caches hold the functions a run compiles (commander's parsing, the client, the output), not
 * just the top level. Each run starts from the previous run's cache, so they add up. The bundles no
 * run touched get a cache of their top level (Module.wrap is the wrapper the launcher writes out).
 */
async function writeCodeCaches() {
  // V8 rejects a cache made under other flags: make them in plain node processes, as netctl runs.
  const { NODE_OPTIONS: _, ...plainEnv } = process.env;
  const dir = mkdtempSync(join(tmpdir(), 'netctl-build-'));
  const sock = join(dir, 'stub.sock');
  const stub = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    const list = /^\/v[\d.]+\/(networks|containers\/json|images\/json)/.test(req.url ?? '');
    res.statusCode = list ? 200 : 404;
    res.end(list ? '[]' : '{"message":"stub"}');
  });
  await new Promise((resolve) => stub.listen(sock, resolve));
  try {
    const env = { ...plainEnv, NETD_HOST: `unix://${sock}`, NETCTL_CODE_CACHE: 'write' };
    for (const args of [['network', 'ls'], ['network', 'ls', '-q'], ['ps', '-a'], ['images'], ['network', 'inspect', 'x'], ['network', '--help']]) {
      await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [join(outdir, 'netctl.js'), ...args], { env, stdio: 'ignore', timeout: 30_000 });
        child.on('error', reject).on('exit', resolve);
      });
    }
  } finally {
    stub.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const untouched = bundles.filter((f) => !existsSync(`${f}.cache`));
  const write = `for (const f of process.argv.slice(1)) fs.writeFileSync(f + '.cache', new vm.Script(module.constructor.wrap(fs.readFileSync(f, 'utf8')), { filename: f }).createCachedData());`;
  const r = spawnSync(process.execPath, ['-e', write, ...untouched], { env: plainEnv, stdio: 'inherit', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`writing the code caches failed (${r.status ?? r.signal})`);
}
