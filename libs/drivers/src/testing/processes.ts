import { type ChildProcess, spawn } from 'node:child_process';
import { nsExec } from '@app/kernel/testing';

/** A background process started inside a namespace by a test; `stop` kills it by PID. */
export interface NsProcess {
  readonly pid: number;
  /** Everything it printed on stdout so far. */
  output(): string;
  /** Resolves when it exits (or at once if it already has). */
  exited(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start `cmd` inside `/run/netns/<ns>` through nsenter (which execs it, so the PID is the
 * program's own). The caller must `stop()` it in a finally/afterEach.
 */
export function startIn(ns: string, cmd: string, args: readonly string[], cwd?: string): NsProcess {
  const child: ChildProcess = spawn('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let done = false;
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', () => undefined);
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      done = true;
      resolve();
    });
    child.on('error', () => {
      done = true;
      resolve();
    });
  });
  return {
    pid: child.pid ?? -1,
    output: () => out,
    exited: () => exit,
    async stop() {
      if (!done && child.pid) process.kill(child.pid, 'SIGKILL');
      await exit;
    },
  };
}

/** True when one ping from `ns` to `ip` gets an answer within a second. */
export async function pings(ns: string, ip: string): Promise<boolean> {
  try {
    await nsExec(ns, 'ping', ['-c1', '-W1', ip]);
    return true;
  } catch {
    return false;
  }
}
