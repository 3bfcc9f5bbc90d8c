/**
 * dist/cli/netctl.js: loads the CommonJS bundles of dist/cli (netctl-main.js, handlers/*.js) with
 * V8's code cache, so a run neither parses the bundles nor compiles the functions a build-time
 * training run already compiled (≈ 4–8 ms of a ≈ 20 ms run; bench/cli).
 *
 * `<bundle>.cache` is written by apps/cli/build.mjs together with the bundle. V8 checks its own
 * version, flags and the source length against the cache header and rejects a mismatch; a missing or
 * rejected cache costs nothing but the time saved, so a node upgrade silently falls back to parsing.
 * V8 does not hash the source text itself: build.mjs empties dist/cli before each build, so a
 * cache never outlives the bundle it was made from.
 * NETCTL_CODE_CACHE=write (build.mjs) writes the cache of every bundle the run loaded at exit;
 * NETCTL_CODE_CACHE=report prints whether each one was used (tests).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

type Exports = Record<string, unknown>;
interface LoadedModule {
  exports: Exports;
}
type Wrapper = (exports: Exports, require: (id: string) => unknown, module: LoadedModule, filename: string, dirname: string) => void;

const loaded = new Map<string, LoadedModule>();
const scripts = new Map<string, { script: Script; cache: 'accepted' | 'rejected' | 'missing' }>();

/** node's CommonJS wrapper (`Module.wrap`), written out: loading node:module costs ~0.5 ms. */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(`${file}.cache`);
  } catch {
    return undefined;
  }
}

/** `require` for a bundle: its relative ids are other bundles of dist/cli; the rest are node's. */
function requireFrom(dir: string): (id: string) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundles' node: builtins, named at run time
  return (id) => (id.startsWith('./') ? load(join(dir, id)) : require(id));
}

function load(file: string): Exports {
  const known = loaded.get(file);
  if (known) return known.exports;
  const cachedData = readCache(file);
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  scripts.set(file, { script, cache: !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted' });
  const mod: LoadedModule = { exports: {} };
  loaded.set(file, mod);
  (script.runInThisContext() as Wrapper)(mod.exports, requireFrom(dirname(file)), mod, file, dirname(file));
  return mod.exports;
}

const mode = process.env.NETCTL_CODE_CACHE;
if (mode === 'write' || mode === 'report') {
  process.on('exit', () => {
    for (const [file, { script, cache }] of scripts) {
      if (mode === 'write') writeFileSync(`${file}.cache`, script.createCachedData());
      else process.stderr.write(`code cache ${cache}: ${file}\n`);
    }
  });
}

load(join(__dirname, 'netctl-main.js'));
