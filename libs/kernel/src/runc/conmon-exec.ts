import { SystemError } from '@app/common';
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { resolveTool } from '../exec';
import { connectConmonAttach } from './conmon-attach';
import { conmonArgs, readConmonMessages } from './conmon';

/** One `docker exec` run by conmon in exec mode (`--exec --exec-attach`), as podman does. */
export interface ConmonExecSpec {
  /** The running container (runc's id). */
  readonly id: string;
  /** The exec session's id: conmon's `--cuuid`. */
  readonly execId: string;
  /** A directory of the session's own: conmon's bundle path, so attach socket and ctl fifo land there. */
  readonly dir: string;
  /** OCI process file for `runc exec --process`. */
  readonly processPath: string;
  readonly runcRoot: string;
  readonly runcBinary?: string;
  readonly conmonBinary?: string;
  /** conmon's attach-socket symlink directory (short path). */
  readonly socketDir: string;
  /** Allocate a console; conmon holds its master and the ctl fifo resizes it. */
  readonly terminal: boolean;
  /** Keep a pipe to the process's stdin for attached input. */
  readonly stdin: boolean;
  readonly timeoutMs?: number;
}

export interface ConmonExec {
  /**
   * Connected to conmon's attach socket before the process runs: packets `[pipe byte][data]`
   * (2 stdout — the console's output too — 3 stderr); writes go to stdin; `end()` closes it.
   */
  readonly socket: Socket;
  /** Let the process run (after the caller hooked the socket and sized the console). */
  start(): void;
  /** The process's exit code; rejects when the runtime could not run it at all. */
  readonly exited: Promise<number>;
}

/**
 * Launch conmon in exec mode and connect to its attach socket. The handshake (podman's
 * attachToExec): a first write on the start pipe lets conmon set up; conmon reports the attach
 * socket ready on the attach pipe; netd connects; a second write on the start pipe makes conmon
 * run `runc exec`. So no output is lost before netd listens. The exit code arrives as the last
 * message on the sync pipe, after the pid (conmon also writes it to its exit file).
 */
export async function startConmonExec(spec: ConmonExecSpec): Promise<ConmonExec> {
  const args = [
    ...conmonArgs({
      id: spec.id,
      cuuid: spec.execId,
      name: spec.execId,
      runcBinary: spec.runcBinary,
      bundle: spec.dir,
      pidFile: `${spec.dir}/pid`,
      conmonPidFile: `${spec.dir}/conmon.pid`,
      logPath: `${spec.dir}/exec.log`,
      exitDir: `${spec.dir}/exit`,
      socketDir: spec.socketDir,
      runcRoot: spec.runcRoot,
    }),
    '--exec', '--exec-attach', '--exec-process-spec', spec.processPath,
    ...(spec.terminal ? ['--terminal'] : []),
    ...(spec.stdin ? ['--stdin'] : []),
  ];
  const child = spawn(resolveTool(spec.conmonBinary ?? 'conmon'), args, {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
  });
  const stdio = child.stdio as unknown as (Readable & Writable)[];
  const sync: Readable = stdio[3];
  const startPipe: Writable = stdio[4];
  const attachPipe: Readable = stdio[5];
  startPipe.on('error', () => undefined);
  child.on('error', () => undefined);

  let ready!: () => void;
  let failed!: (e: Error) => void;
  const attachReady = new Promise<void>((res, rej) => ((ready = res), (failed = rej)));
  let resolveExit!: (code: number) => void;
  let rejectExit!: (e: Error) => void;
  const exited = new Promise<number>((res, rej) => ((resolveExit = res), (rejectExit = rej)));
  exited.catch(() => undefined);

  const fail = (text: string) => {
    const e = new SystemError(`exec in container ${spec.id}: ${text}`);
    failed(e);
    rejectExit(e);
  };
  // attach pipe: one message once the socket is ready. sync pipe: the pid (or runc's error),
  // then the exit code when the process ends.
  let isReady = false;
  readConmonMessages(attachPipe, () => {
    isReady = true;
    ready();
  }, () => {
    if (!isReady) fail('conmon closed its attach pipe before the socket was ready');
  });
  let pid = 0;
  readConmonMessages(sync, (m) => {
    if (pid === 0) {
      if (m.data > 0) pid = m.data;
      else fail(m.message ?? `runtime failed (${m.data})`);
    } else resolveExit(m.data);
  }, () => fail('conmon closed its sync pipe without an exit status'));
  child.on('exit', (code) => {
    if (code !== 0) fail(`conmon exited with ${code}`);
  });

  startPipe.write('0');
  const timer = setTimeout(() => fail(`conmon did not get ready within ${spec.timeoutMs ?? 30_000} ms`), spec.timeoutMs ?? 30_000);
  try {
    await attachReady;
  } finally {
    clearTimeout(timer);
  }
  let socket: Socket;
  try {
    socket = connectConmonAttach(spec.dir);
  } catch (e) {
    child.kill('SIGKILL');
    throw new SystemError(`exec in container ${spec.id}: attach: ${(e as Error).message}`, { cause: e });
  }
  socket.on('error', () => undefined);
  const done = () => {
    sync.destroy();
    attachPipe.destroy();
    startPipe.destroy();
  };
  exited.then(done, done);
  return {
    socket,
    exited,
    start: () => void startPipe.write('0'),
  };
}
