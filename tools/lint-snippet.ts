import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** eslint (the repository's config) over `source` as if it were the file at `path`: whether it passed, and its report. */
export function lintSnippet(path: string, source: string): { ok: boolean; output: string } {
  const r = spawnSync(join(root, 'node_modules/.bin/eslint'), ['--stdin', '--stdin-filename', path, '--format', 'stylish'], {
    cwd: root,
    input: source,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
