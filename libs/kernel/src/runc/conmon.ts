import { SystemError } from '@app/common';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { resolveTool } from '../exec';

/** Everything conmon needs to create one container through runc and supervise it. */
export interface ConmonSpec {
  /** Container id (runc's id, also the exit file's name). */
  readonly id: string;
  /** Name shown in conmon's syslog lines; defaults to the id. */
  readonly name?: string;
  /** OCI bundle directory holding config.json. */
  readonly bundle: string;
  /** runc's `--root`. */
  readonly runcRoot: string;
  readonly runcBinary?: string;
  readonly conmonBinary?: string;
  /** Log file, written in k8s-file format (`<RFC3339Nano> <stream> <P|F> <text>`). */
  readonly logPath: string;
  /** Directory where conmon writes a file named `<id>` holding the exit code. */
  readonly exitDir: string;
  /** File runc writes the container's init pid to. */
  readonly pidFile: string;
  /** File conmon writes its own pid to. */
  readonly conmonPidFile: string;
  /** Directory for conmon's attach socket symlinks (short path: unix socket limit). */
  readonly socketDir: string;
  /** Allocate a console (`-t`); conmon holds the master side. */
  readonly terminal?: boolean;
  /** Keep a pipe to the container's stdin open for attach (`-i`). */
  readonly stdin?: boolean;
  /** With `stdin`: keep it open when an attached client closes its input (Docker's !StdinOnce). */
  readonly leaveStdinOpen?: boolean;
  readonly timeoutMs?: number;
}

export interface ConmonStarted {
  /** Host pid of the container's init (state `created`; `runc start` runs it). */
  readonly pid: number;
}

/** What conmon is told about one run, whether it creates a container or runs an exec in one. */
export interface ConmonRun {
  readonly id: string;
  /** conmon's `--cuuid`: the container id, or an exec session's id. */
  readonly cuuid: string;
  readonly name: string;
  readonly bundle: string;
  readonly pidFile: string;
  readonly conmonPidFile: string;
  readonly logPath: string;
  readonly exitDir: string;
  readonly socketDir: string;
  readonly runcRoot: string;
  readonly runcBinary?: string;
}

/** The arguments every conmon launch of netd's shares (terminal, stdin and exec flags come after). */
export function conmonArgs(r: ConmonRun): string[] {
  return [
    '--api-version', '1',
    '--cid', r.id,
    '--cuuid', r.cuuid,
    '--name', r.name,
    '--runtime', resolveTool(r.runcBinary ?? 'runc'),
    '--bundle', r.bundle,
    '--container-pidfile', r.pidFile,
    '--conmon-pidfile', r.conmonPidFile,
    '--log-path', `k8s-file:${r.logPath}`,
    '--exit-dir', r.exitDir,
    '--socket-dir-path', r.socketDir,
    '--runtime-arg', '--root',
    '--runtime-arg', r.runcRoot,
  ];
}

/** One message of conmon's sync or attach pipe: a pid, an exit code, or a negative code with runc's message. */
export interface ConmonMessage {
  readonly data: number;
  readonly message?: string;
}

/**
 * Newline-delimited JSON messages from one of conmon's pipes, in order. A line that is not JSON
 * goes to `onBad` (default: skipped); `onEnd` runs when the pipe ends or closes.
 */
export function readConmonMessages(stream: Readable, onMessage: (m: ConmonMessage) => void, onEnd: () => void, onBad?: (line: string, e: unknown) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let m: ConmonMessage;
      try {
        m = JSON.parse(line) as ConmonMessage;
      } catch (e) {
        onBad?.(line, e);
        continue;
      }
      onMessage(m);
    }
  });
  stream.on('error', () => undefined);
  stream.on('end', onEnd);
  stream.on('close', onEnd);
}

/**
 * Launch conmon, which runs `runc create` and then double-forks away from netd: the monitor
 * (and so log capture and the exit file) survives the daemon. Resolves once runc has created
 * the container, with its pid, read from conmon's sync pipe (`_OCI_SYNCPIPE`, as podman does);
 * a failed create arrives on the same pipe as a negative pid with runc's message.
 */
export function startConmon(spec: ConmonSpec): Promise<ConmonStarted> {
  const args = [
    ...conmonArgs({ ...spec, cuuid: spec.id, name: spec.name ?? spec.id, logPath: spec.logPath }),
    ...(spec.terminal ? ['--terminal'] : []),
    ...(spec.stdin ? ['--stdin'] : []),
    ...(spec.stdin && spec.leaveStdinOpen ? ['--leave-stdin-open'] : []),
  ];
  return new Promise((resolve, reject) => {
    // Every stdio but the sync pipe goes nowhere: conmon's daemonized half inherits them, and
    // a pipe to netd would tie the monitor to the daemon's lifetime.
    const child = spawn(resolveTool(spec.conmonBinary ?? 'conmon'), args, {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
    });
    const sync = child.stdio[3] as Readable;
    let settled = false;
    const finish = (err: Error | undefined, value?: ConmonStarted) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sync.destroy();
      if (err) reject(err);
      else resolve(value as ConmonStarted);
    };
    const timer = setTimeout(
      () => finish(new SystemError(`conmon for ${spec.id}: no answer within ${spec.timeoutMs ?? 30_000} ms`)),
      spec.timeoutMs ?? 30_000,
    );
    readConmonMessages(
      sync,
      (msg) => {
        if (msg.data > 0) finish(undefined, { pid: msg.data });
        else finish(new SystemError(`create container ${spec.id}: ${msg.message ?? `runtime failed (${msg.data})`}`));
      },
      () => finish(new SystemError(`create container ${spec.id}: conmon closed its sync pipe without a pid`)),
      (line, e) => finish(new SystemError(`conmon for ${spec.id}: bad sync message ${JSON.stringify(line)}`, { cause: e })),
    );
    child.on('error', (e) => finish(new SystemError(`run conmon: ${e.message}`, { cause: e })));
    child.on('exit', (code) => {
      if (code !== 0) finish(new SystemError(`create container ${spec.id}: conmon exited with ${code}`));
    });
  });
}
