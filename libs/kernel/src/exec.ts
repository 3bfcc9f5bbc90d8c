import { SystemError } from '@app/common';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where system tools live when PATH (e.g. a non-root user's) lacks the sbin directories. */
const FALLBACK_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const resolved = new Map<string, string>();

/** Absolute path of a tool (`ip`, `nft`, `nsenter`) from PATH, then the sbin directories. */
export function resolveTool(name: string): string {
  if (name.includes('/')) return name;
  const hit = resolved.get(name);
  if (hit) return hit;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      resolved.set(name, candidate);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  throw new SystemError(`${name} not found in PATH or ${FALLBACK_DIRS.join(', ')}`);
}

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
  /** Kill the command after this long (default 10 s): a hung tool must not hang the daemon. */
  readonly timeoutMs?: number;
}

/** Run a command without a shell, capturing its output; never rejects for a non-zero exit. */
export function runCommand(file: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(resolveTool(file), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new SystemError(`run ${file}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** One line describing a finished command, for error messages. */
export function describeRun(file: string, args: readonly string[], r: CommandResult): string {
  const status = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return `${file} ${args.join(' ')}: ${status}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`;
}
