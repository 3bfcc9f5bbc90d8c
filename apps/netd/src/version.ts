import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface BuildInfo {
  /** package.json's version. */
  version: string;
  /** The git commit the build was made from (`-dirty` with uncommitted changes), or `unknown`. */
  commit: string;
  /** When the build was made (ISO 8601); empty when running from source. */
  built: string;
}

let cached: BuildInfo | undefined;

/**
 * What this netd is: read from `dist/build-info.json` (written by scripts/build-info.mjs at build
 * time) beside the package's package.json, found by walking up from this file, so it works from
 * the repository's dist, from an installed package and from a test bundle. From source without
 * a build, the commit is `unknown`.
 */
export function buildInfo(from: string = __dirname): BuildInfo {
  if (cached && from === __dirname) return cached;
  const root = packageRoot(from);
  let info: BuildInfo = { version: '0.0.0-dev', commit: 'unknown', built: '' };
  if (root) {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    info = { ...info, version: pkg.version };
    const file = join(root, 'dist', 'build-info.json');
    if (existsSync(file)) {
      const b = JSON.parse(readFileSync(file, 'utf8')) as Partial<BuildInfo>;
      info = { version: pkg.version, commit: b.commit ?? 'unknown', built: b.built ?? '' };
    }
  }
  if (from === __dirname) cached = info;
  return info;
}

/** `netd --version`, in dockerd's form (`Docker version 24.0.5, build ced0996`). */
export function versionLine(info: BuildInfo = buildInfo()): string {
  return `netd version ${info.version}, build ${info.commit}`;
}

function packageRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'netd') return dir;
      } catch {
        // not ours
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}
