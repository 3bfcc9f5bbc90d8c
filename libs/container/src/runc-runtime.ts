import { ConflictError, NotFoundError } from '@app/common';
import {
  CONMON_STDERR, RuncCli, connectConmonAttach, isMountPoint, resizeConmonConsole, startConmon, startConmonExec, unmountPath, type RuncState,
} from '@app/kernel/runc';
import { existsSync, watch } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readK8sLog, unsentOutput, type LogEntry, type LogReadOptions } from './k8s-log';
import { capabilitiesOfMask, ociResources, withOverlayRoot, type OciConfig } from './bundle';
import type { ContainerResources } from './container-record';
import { containerPaths, type ContainerPaths } from './layout';
import {
  Runtime,
  type AdoptedContainer,
  type AttachConnection,
  type ExecResult,
  type ExecSession,
  type ExecSessionSpec,
  type ExecSpec,
  type ExitStatus,
  type RuntimeCreateSpec,
  type RuntimeState,
} from './runtime.port';

export interface RuncRuntimeOptions {
  /** Containers' directories (`<stateDir>/<id>` is the bundle). */
  readonly stateDir: string;
  /** runc `--root`, netd's own (e.g. /run/netd/runc). */
  readonly runcRoot: string;
  /** conmon's attach-socket directory; keep it short (unix socket paths are ≤ 107 bytes). */
  readonly socketDir: string;
  readonly runcBinary?: string;
  readonly conmonBinary?: string;
  /** How often log follow re-checks besides file watches. */
  readonly pollMs?: number;
  /**
   * How often waitExit re-reads the exit file besides its directory watch (default 5 s). Every
   * running container has a waiter, so a short period here is a load that grows with the count.
   */
  readonly exitPollMs?: number;
}

/** runc + conmon: the monitor double-forks, so containers and their logs outlive netd. */
export class RuncRuntime extends Runtime {
  private readonly runc: RuncCli;
  private readonly pollMs: number;
  private readonly exitPollMs: number;

  constructor(private readonly opts: RuncRuntimeOptions) {
    super();
    this.runc = new RuncCli({ root: opts.runcRoot, binary: opts.runcBinary });
    this.pollMs = opts.pollMs ?? 200;
    this.exitPollMs = opts.exitPollMs ?? 5000;
  }

  /**
   * Whether runc has state for `id` (its directory under the root), without spawning runc: a
   * fresh id (every create, every start's check) costs a stat instead of ~7 ms.
   */
  private known(id: string): boolean {
    return /^[\w.-]+$/.test(id) && existsSync(join(this.opts.runcRoot, id));
  }

  private paths(id: string): ContainerPaths {
    return containerPaths(this.opts.stateDir, id);
  }

  async create(spec: RuntimeCreateSpec): Promise<{ pid: number }> {
    const p = this.paths(spec.id);
    if (this.known(spec.id)) throw new ConflictError(`container ${spec.id} already exists in the runtime`);
    await Promise.all([p.upper, p.work, p.rootfs, p.exitDir, this.opts.socketDir, this.opts.runcRoot].map((d) => mkdir(d, { recursive: true })));
    await rm(p.exitFile, { force: true });
    await rm(p.pidFile, { force: true });
    // Through a new file and a rename: a crash or a concurrent exec never sees half a config.
    const config = JSON.parse(await readFile(p.config, 'utf8')) as OciConfig;
    await writeFile(`${p.config}.new`, JSON.stringify(withOverlayRoot(config, spec.lowers, p)));
    await rename(`${p.config}.new`, p.config);
    try {
      return await startConmon({
        id: spec.id,
        name: spec.name,
        bundle: p.dir,
        runcRoot: this.opts.runcRoot,
        runcBinary: this.opts.runcBinary,
        conmonBinary: this.opts.conmonBinary,
        logPath: p.log,
        exitDir: p.exitDir,
        pidFile: p.pidFile,
        conmonPidFile: p.conmonPidFile,
        socketDir: this.opts.socketDir,
        terminal: spec.terminal,
        stdin: spec.stdin,
        leaveStdinOpen: !spec.stdinOnce,
      });
    } catch (e) {
      await this.runc.delete(spec.id, true).catch(() => undefined);
      throw e;
    }
  }

  async start(id: string): Promise<void> {
    // The common case costs one runc spawn; the state is read only to name a failure.
    try {
      await this.runc.start(id);
    } catch (e) {
      const s = await this.requireState(id);
      if (s.status !== 'created') throw new ConflictError(`cannot start container ${id}: it is ${s.status}`);
      throw e;
    }
  }

  async kill(id: string, signal: string | number): Promise<void> {
    const s = await this.requireState(id);
    if (s.status !== 'running' && s.status !== 'paused' && s.status !== 'created') {
      throw new ConflictError(`Container ${id} is not running`);
    }
    await this.runc.kill(id, typeof signal === 'string' ? signal.replace(/^SIG/, '') : signal);
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const p = this.paths(id);
    const s = this.known(id) ? await this.runc.state(id) : undefined;
    // An earlier netd mounted the overlay on the host itself; a container it started may keep one.
    const mounted = isMountPoint(p.rootfs);
    if (!s && !mounted) throw new NotFoundError(`No such container: ${id}`);
    if (s && (s.status === 'running' || s.status === 'paused') && !opts.force) {
      throw new ConflictError(`cannot remove container ${id}: it is ${s.status}, stop it first or force removal`);
    }
    if (s) await this.runc.delete(id, opts.force ?? false);
    if (isMountPoint(p.rootfs)) unmountPath(p.rootfs);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    if (!this.known(id)) return undefined;
    const s = await this.runc.state(id);
    return s ? toState(s) : undefined;
  }

  async list(): Promise<RuntimeState[]> {
    return (await this.listRunc()).map(toState);
  }

  /**
   * runc creates its `--root` on any command, so without containers it is not asked at all: a
   * daemon (or a test) that never runs a container leaves no runc directory behind.
   */
  private async listRunc(): Promise<RuncState[]> {
    return existsSync(this.opts.runcRoot) ? this.runc.list() : [];
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    await this.requireRunning(id);
    const p = this.paths(id);
    const file = join(p.dir, `exec-${randomBytes(6).toString('hex')}.json`);
    await writeFile(file, JSON.stringify(await this.processFor(p, spec, false)));
    try {
      return await this.runc.exec(id, file, { timeoutMs: spec.timeoutMs });
    } finally {
      await rm(file, { force: true });
    }
  }

  async execSession(id: string, spec: ExecSessionSpec): Promise<ExecSession> {
    await this.requireRunning(id);
    const p = this.paths(id);
    const execId = randomBytes(32).toString('hex');
    // The session's own directory is conmon's bundle: attach socket, ctl fifo, log, exit file.
    const dir = join(p.dir, 'exec', execId.slice(0, 12));
    await mkdir(join(dir, 'exit'), { recursive: true });
    const processPath = join(dir, 'process.json');
    await writeFile(processPath, JSON.stringify(await this.processFor(p, spec, spec.tty)));
    let ex;
    try {
      ex = await startConmonExec({
        id, execId, dir, processPath, runcRoot: this.opts.runcRoot, runcBinary: this.opts.runcBinary, conmonBinary: this.opts.conmonBinary,
        socketDir: this.opts.socketDir, terminal: spec.tty, stdin: spec.stdin, timeoutMs: spec.timeoutMs,
      });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    const sock = ex.socket;
    const exited = ex.exited;
    const outputs: Array<(stream: 'stdout' | 'stderr', data: Buffer) => void> = [];
    const closes: Array<() => void> = [];
    const sent = { stdout: 0, stderr: 0 };
    const emit = (stream: 'stdout' | 'stderr', data: Buffer) => {
      sent[stream] += data.length;
      for (const cb of outputs) cb(stream, data);
    };
    sock.on('data', (pkt: Buffer) => emit(pkt[0] === CONMON_STDERR ? 'stderr' : 'stdout', pkt.subarray(1)));
    const sockClosed = new Promise<void>((res) => sock.on('close', () => res()));
    // conmon logs every byte it reads before writing it to the socket; a root test under load
    // once got stdout but not the final stderr line over the socket. So once both the exit is
    // known and the socket closed, what the log holds beyond what was sent follows. Then conmon
    // is gone, and its directory goes.
    void Promise.all([sockClosed, exited.catch(() => undefined)])
      .then(() => unsentOutput(join(dir, 'exec.log'), sent))
      .then((rest) => rest.forEach(([stream, data]) => emit(stream, data)), () => undefined)
      .finally(() => {
        for (const cb of closes) cb();
        void rm(dir, { recursive: true, force: true }).catch(() => undefined);
      });
    return {
      start: ex.start,
      exited,
      resize: (height, width) => resizeConmonConsole(dir, height, width),
      onOutput: (cb) => void outputs.push(cb),
      onClose: (cb) => void closes.push(cb),
      write: (data, flushed) => writeOrDrop(sock, data, flushed),
      closeStdin: () => void (sock.writable && sock.end()),
      close: () => void sock.destroy(),
    };
  }

  /** The exec'd process gets the container's own identity: capabilities, no-new-privileges, env. */
  private async processFor(p: ContainerPaths, spec: ExecSpec, terminal: boolean): Promise<Record<string, unknown>> {
    const config = JSON.parse(await readFile(p.config, 'utf8')) as { process: Record<string, unknown> & { env: string[] } };
    const env = [...config.process.env];
    for (const e of spec.env ?? []) {
      const key = e.split('=')[0];
      const i = env.findIndex((x) => x.split('=')[0] === key);
      if (!e.includes('=')) {
        if (i >= 0) env.splice(i, 1);
      } else if (i >= 0) env[i] = e;
      else env.push(e);
    }
    return {
      ...config.process,
      terminal,
      args: [...spec.args],
      env,
      cwd: spec.cwd ?? config.process.cwd,
      ...(spec.user ? { user: spec.user } : {}),
      ...(spec.privileged ? { capabilities: privilegedCapabilities(await readFile('/proc/self/status', 'utf8')) } : {}),
    };
  }

  private async requireRunning(id: string): Promise<void> {
    const s = await this.requireState(id);
    if (s.status !== 'running') throw new ConflictError(`Container ${id} is not running`);
  }

  async readExit(id: string): Promise<ExitStatus | undefined> {
    const file = this.paths(id).exitFile;
    try {
      const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      // conmon writes the file through a temporary name and renames it, so content is complete.
      if (text.trim() === '') return undefined;
      return { exitCode: Number.parseInt(text.trim(), 10), finishedAt: new Date(st.mtimeMs) };
    } catch {
      return undefined;
    }
  }

  async waitExit(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    const dir = this.paths(id).exitDir;
    await mkdir(dir, { recursive: true });
    return new Promise<ExitStatus>((resolve, reject) => {
      let done = false;
      const watcher = watch(dir, () => void check());
      watcher.on('error', () => undefined);
      const timer = setInterval(() => void check(), this.exitPollMs);
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        watcher.close();
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const onAbort = () => finish(() => reject(signal?.reason ?? new Error('aborted')));
      const check = async () => {
        const exit = await this.readExit(id);
        if (exit) finish(() => resolve(exit));
      };
      signal?.addEventListener('abort', onAbort);
      if (signal?.aborted) onAbort();
      void check();
    });
  }

  logs(id: string, opts: LogReadOptions = {}): AsyncIterable<LogEntry> {
    return readK8sLog(this.paths(id).log, opts, async () => (await this.readExit(id)) !== undefined, this.pollMs);
  }

  async adopt(ids: readonly string[]): Promise<AdoptedContainer[]> {
    const known = new Map((ids.length > 0 ? await this.listRunc() : []).map((s) => [s.id, s]));
    const out: AdoptedContainer[] = [];
    for (const id of ids) {
      const s = known.get(id);
      if (s && s.status !== 'stopped' && s.status !== 'creating') {
        out.push({ id, status: s.status, pid: s.pid });
        continue;
      }
      const exit = await this.readExit(id);
      out.push(exit ? { id, status: 'exited', pid: 0, exit } : { id, status: 'missing', pid: 0 });
    }
    return out;
  }

  async attach(id: string): Promise<AttachConnection> {
    await this.requireLive(id);
    const sock = connectConmonAttach(this.paths(id).dir);
    sock.on('error', () => undefined);
    return {
      // Flowing mode: one 'data' event per packet, so the pipe byte always leads the chunk.
      onOutput: (cb) => void sock.on('data', (p: Buffer) => cb(p[0] === CONMON_STDERR ? 'stderr' : 'stdout', p.subarray(1))),
      onClose: (cb) => void sock.on('close', cb),
      write: (data, flushed) => writeOrDrop(sock, data, flushed),
      closeStdin: () => void (sock.writable && sock.end()),
      close: () => void sock.destroy(),
    };
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    await this.requireLive(id);
    await resizeConmonConsole(this.paths(id).dir, height, width);
  }

  async pause(id: string): Promise<void> {
    const s = await this.requireState(id);
    if (s.status !== 'running') throw new ConflictError(`Container ${id} is not running`);
    await this.runc.pause(id);
  }

  async resume(id: string): Promise<void> {
    const s = await this.requireState(id);
    if (s.status !== 'paused') throw new ConflictError(`Container ${id} is not paused`);
    await this.runc.resume(id);
  }

  async update(id: string, resources: ContainerResources): Promise<void> {
    await this.requireLive(id);
    await this.runc.update(id, ociResources(resources));
  }

  async pids(id: string): Promise<number[]> {
    await this.requireLive(id);
    return this.runc.pids(id);
  }

  private async requireLive(id: string): Promise<void> {
    const s = await this.requireState(id);
    if (s.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
  }

  private async requireState(id: string): Promise<RuntimeState> {
    const s = await this.state(id);
    if (!s) throw new NotFoundError(`No such container: ${id}`);
    return s;
  }
}

function toState(s: RuncState): RuntimeState {
  const status = s.status === 'creating' ? 'created' : s.status;
  return { id: s.id, status, pid: status === 'stopped' ? 0 : s.pid };
}

/** Write to a conmon attach socket; `flushed` once written out, or at once when the socket is gone. */
function writeOrDrop(sock: Socket, data: Buffer, flushed?: () => void): void {
  if (!sock.writable) return flushed?.();
  sock.write(data, () => flushed?.());
}

/** Docker's privileged exec: every capability this daemon may grant (its bounding set), bounding, effective and permitted. */
function privilegedCapabilities(status: string): Record<string, string[]> {
  const all = capabilitiesOfMask(BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0'}`));
  return { bounding: all, effective: all, permitted: all };
}
