import { existsSync } from 'node:fs';
import { exec, type Run } from './exec';

/** Debian's docker-compose 1.29 (the python one); .ci/run installs it. */
export const COMPOSE = '/usr/bin/docker-compose';
/** Debian's python3 with python3-docker 5 (the `python3` on PATH may be another one). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Fail (not skip) when a client the suite is about is missing: a skipped client proves nothing. */
export function requireClient(path: string, pkg: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: install Debian's ${pkg} (.ci/run does)`);
}

/**
 * docker-compose against netd's socket, for one project and file. `run` and `exec` go through the
 * docker CLI on PATH, as compose does by default; `env` can set COMPOSE_INTERACTIVE_NO_CLI=1 to
 * have compose attach itself (docker-py + dockerpty).
 */
export function composeRunner(socket: () => string, project: string, file: string, env: NodeJS.ProcessEnv = {}) {
  return (...args: string[]): Promise<Run> =>
    exec(COMPOSE, ['--ansi', 'never', '-p', project, '-f', file, ...args], {
      env: { DOCKER_HOST: `unix://${socket()}`, HOME: '/nonexistent', ...env },
      timeoutMs: 120_000,
    });
}

/** Throw with what compose printed unless it exited 0; its stdout otherwise. */
export function composeOk(r: Run): string {
  if (r.code !== 0) throw new Error(`docker-compose failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
