import { ConflictError, NotFoundError, SystemError, type NetdError } from '@app/common';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { describeRun, resolveTool, runCommand, type CommandResult } from '../exec';
import { startThroughExecFifo } from './exec-fifo';

/** What `runc state` / `runc list --format json` report for one container. */
export interface RuncState {
  readonly id: string;
  /** Host pid of the container's init process; 0 once stopped. */
  readonly pid: number;
  readonly status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  readonly bundle: string;
  /** RFC 3339 creation time, as runc prints it. */
  readonly created: string;
}

export interface RuncOptions {
  /** runc's state directory (`--root`): netd keeps its own, apart from any other runc user. */
  readonly root: string;
  readonly binary?: string;
  /** Per-command timeout (default 30 s): a hung runc must not hang the daemon. */
  readonly timeoutMs?: number;
}

export interface RuncExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The runc command line, one method per verb. Errors are mapped from runc's `msg="…"` text to
 * netd kinds: an unknown container is NotFound, a verb that does not fit the container's
 * current status (kill a stopped one, start a running one, delete a running one) is Conflict.
 */
export class RuncCli {
  readonly root: string;
  readonly binary: string;
  private readonly timeoutMs: number;

  constructor(opts: RuncOptions) {
    this.root = opts.root;
    this.binary = resolveTool(opts.binary ?? 'runc');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Run a created container's process: through its exec fifo, else (to name the failure) `runc start`. */
  async start(id: string): Promise<void> {
    if (/^[\w.-]+$/.test(id) && (await startThroughExecFifo(this.root, id))) return;
    await this.run(['start', id], `start container ${id}`);
  }

  /** Send `signal` (name without SIG, or number) to init, or to every process with `all`. */
  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)], `kill container ${id}`);
  }

  /** Remove runc's state (and cgroup). `force` kills a running container first. */
  async delete(id: string, force = false): Promise<void> {
    await this.run(['delete', ...(force ? ['--force'] : []), id], `delete container ${id}`);
  }

  /** Freeze every process of the container (cgroup freezer); Conflict unless running. */
  async pause(id: string): Promise<void> {
    await this.run(['pause', id], `pause container ${id}`);
  }

  /** Thaw a paused container; Conflict unless paused. */
  async resume(id: string): Promise<void> {
    await this.run(['resume', id], `resume container ${id}`);
  }

  /**
   * Change a live container's cgroup limits: `resources` is an OCI `linux.resources` object
   * (runc update -r reads it from stdin), so every field takes runc's own units and checks.
   */
  async update(id: string, resources: object): Promise<void> {
    await this.run(['update', '--resources', '-', id], `update container ${id}`, JSON.stringify(resources));
  }

  /** Host pids of every process in the container's cgroup. */
  async pids(id: string): Promise<number[]> {
    const out = await this.run(['ps', '--format', 'json', id], `processes of container ${id}`);
    return (JSON.parse(out.trim() || 'null') as number[] | null) ?? [];
  }

  /** The container's state, or undefined if runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.run(['state', id], `state of container ${id}`)) as RuncState;
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  async list(): Promise<RuncState[]> {
    const out = await this.run(['list', '--format', 'json'], 'list containers');
    const parsed = JSON.parse(out.trim() || 'null') as RuncState[] | null;
    return parsed ?? [];
  }

  /**
   * Run the process described by the OCI process file `processPath` in the container and wait
   * for it, capturing its output (no terminal). `timeoutMs` bounds the whole exec.
   */
  async exec(id: string, processPath: string, opts: { timeoutMs?: number; input?: string } = {}): Promise<RuncExecResult> {
    // On a timeout runc is killed; the process it ran would live on in the container, so its
    // pid is kept to kill it too (a health probe past its timeout must not pile up).
    const pidFile = `${processPath}.pid`;
    const args = ['--root', this.root, 'exec', '--pid-file', pidFile, '--process', processPath, id];
    let r: CommandResult;
    try {
      r = await runCommand(this.binary, args, { timeoutMs: opts.timeoutMs ?? this.timeoutMs, input: opts.input });
      if (r.code === null) {
        const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(pid) && pid > 1) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        throw new SystemError(describeRun('runc', args, r));
      }
    } finally {
      await rm(pidFile, { force: true });
    }
    // runc exits 255 with its own message when it could not start the process at all.
    const own = runcMessage(r.stderr);
    if (r.code === 255 && own) throw this.mapError(own, `exec in container ${id}`, r);
    return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * `runc run --detach` of a bundle with all stdio on /dev/null: only for baselines and tests
   * (netd itself creates through conmon). A pipe here would be inherited by the container and
   * the call would never finish.
   */
  runDetached(id: string, bundle: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, ['--root', this.root, 'run', '--detach', '--bundle', bundle, id], {
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.on('error', (e) => reject(new SystemError(`runc run ${id}: ${e.message}`, { cause: e })));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new SystemError(`runc run ${id}: ${signal ?? `exit ${code}`}`));
      });
    });
  }

  private async run(args: string[], context: string, input?: string): Promise<string> {
    const full = ['--root', this.root, ...args];
    const r = await runCommand(this.binary, full, { timeoutMs: this.timeoutMs, input });
    if (r.code === 0) return r.stdout;
    throw this.mapError(runcMessage(r.stderr) ?? r.stderr.trim(), context, r);
  }

  private mapError(message: string, context: string, r: CommandResult): NetdError {
    const text = `${context}: ${message}`;
    if (/does not exist|not exist/.test(message)) return new NotFoundError(text);
    if (/not running|not paused|cannot start|cannot delete|is not stopped|already|paused/i.test(message)) return new ConflictError(text);
    return new SystemError(`${text} (${describeRun('runc', [], r)})`);
  }
}

/** The `msg="…"` of runc's last logrus line on stderr. */
export function runcMessage(stderr: string): string | undefined {
  const lines = stderr.trim().split('\n').reverse();
  for (const line of lines) {
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) return m[1].replace(/\\"/g, '"');
  }
  return lines[0] || undefined;
}
