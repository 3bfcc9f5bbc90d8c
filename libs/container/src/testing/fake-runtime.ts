import { ConflictError, NotFoundError } from '@app/common';
import { constants } from 'node:os';
import type { ContainerResources } from '../container-record';
import type { LogEntry, LogReadOptions } from '../k8s-log';
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
} from '../runtime.port';

interface FakeContainer {
  spec: RuntimeCreateSpec;
  status: 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
  /** Signals sent while paused: a frozen process takes them when thawed (the v1 freezer). */
  pending: number[];
  resources?: ContainerResources;
  exit?: ExitStatus;
  logs: LogEntry[];
  ignored: Set<number>;
  waiters: Array<(e: ExitStatus) => void>;
  attached: FakeAttach[];
  stdin: Buffer[];
  stdinClosed: boolean;
  size?: { height: number; width: number };
}

interface FakeAttach {
  output: Array<(stream: 'stdout' | 'stderr', data: Buffer) => void>;
  closed: Array<() => void>;
  open: boolean;
}

/**
 * An in-memory runtime with runc's states and error kinds. Every process "runs" until a signal
 * it does not ignore arrives (exit 128 + signo) or the test calls {@link exit}. The model
 * survives a ContainerManager being thrown away, like conmon survives the daemon.
 */
export class FakeRuntime extends Runtime {
  private readonly containers = new Map<string, FakeContainer>();
  private nextPid = 1000;
  /** Answer for exec; default: exit 0, no output. */
  onExec: (id: string, spec: ExecSpec) => ExecResult = () => ({ exitCode: 0, stdout: '', stderr: '' });
  /** What each id runs, where a test sets it (the real runtime reads it from the bundle). */
  readonly programs = new Map<string, readonly string[]>();
  /** Make the next create fail with this error (then reset). */
  failNextCreate?: Error;

  async create(spec: RuntimeCreateSpec): Promise<{ pid: number }> {
    if (this.containers.has(spec.id)) throw new ConflictError(`container ${spec.id} already exists in the runtime`);
    if (this.failNextCreate) {
      const e = this.failNextCreate;
      this.failNextCreate = undefined;
      throw e;
    }
    const pid = this.nextPid++;
    // A new create starts a new life: conmon's old exit file is removed first (RuncRuntime too).
    this.exited.delete(spec.id);
    this.containers.set(spec.id, { spec, status: 'created', pid, logs: [], ignored: new Set(), waiters: [], attached: [], stdin: [], stdinClosed: false, pending: [] });
    return { pid };
  }

  async start(id: string): Promise<void> {
    const c = this.get(id);
    if (c.status !== 'created') throw new ConflictError(`cannot start container ${id}: it is ${c.status}`);
    c.status = 'running';
  }

  async kill(id: string, signal: string | number): Promise<void> {
    const c = this.get(id);
    if (c.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    const signo = typeof signal === 'number' ? signal : constants.signals[(signal.startsWith('SIG') ? signal : `SIG${signal}`) as NodeJS.Signals];
    if (signo === undefined) throw new ConflictError(`invalid signal ${signal}`);
    if (c.status === 'paused') return void c.pending.push(signo);
    if (signo === constants.signals.SIGKILL || !c.ignored.has(signo)) this.exit(id, 128 + signo);
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const c = this.get(id);
    if ((c.status === 'running' || c.status === 'paused') && !opts.force) throw new ConflictError(`cannot remove container ${id}: it is running, stop it first or force removal`);
    if (c.status !== 'stopped') this.exit(id, 137);
    this.containers.delete(id);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const c = this.containers.get(id);
    return c ? { id, status: c.status, pid: c.status === 'stopped' ? 0 : c.pid } : undefined;
  }

  async list(): Promise<RuntimeState[]> {
    return [...this.containers.keys()].map((id) => ({ id, status: this.containers.get(id)!.status, pid: this.containers.get(id)!.pid }));
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    if (this.get(id).status !== 'running') throw new ConflictError(`Container ${id} is not running`);
    return this.onExec(id, spec);
  }

  /** Input written to exec sessions, per container, in order. */
  readonly execInput = new Map<string, Buffer[]>();

  /**
   * Plays the `onExec` answer once started: stdout, then stderr (both as stdout with a tty),
   * then the socket closes and `exited` resolves. Input is recorded in {@link execInput}.
   */
  async execSession(id: string, spec: ExecSessionSpec): Promise<ExecSession> {
    if (this.get(id).status !== 'running') throw new ConflictError(`Container ${id} is not running`);
    const output: Array<(stream: 'stdout' | 'stderr', data: Buffer) => void> = [];
    const closed: Array<() => void> = [];
    let open = true;
    let started = false;
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    const close = () => {
      if (!open) return;
      open = false;
      for (const cb of closed) cb();
    };
    return {
      onOutput: (cb) => void output.push(cb),
      onClose: (cb) => void closed.push(cb),
      write: (data, flushed) => {
        if (spec.stdin && open) this.execInput.set(id, [...(this.execInput.get(id) ?? []), data]);
        flushed?.();
      },
      closeStdin: () => undefined,
      close,
      resize: async () => {
        if (!spec.tty) throw new ConflictError('exec session has no console');
      },
      exited,
      start: () => {
        if (started) throw new ConflictError('exec session already started');
        started = true;
        const r = this.onExec(id, spec);
        const emit = (stream: 'stdout' | 'stderr', text: string) => {
          if (text) for (const cb of output) cb(spec.tty ? 'stdout' : stream, Buffer.from(text));
        };
        setImmediate(() => {
          emit('stdout', r.stdout);
          emit('stderr', r.stderr);
          close();
          resolveExit(r.exitCode);
        });
      },
    };
  }

  async readExit(id: string): Promise<ExitStatus | undefined> {
    return this.containers.get(id)?.exit ?? this.exited.get(id);
  }

  waitExit(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    const done = this.containers.get(id)?.exit ?? this.exited.get(id);
    if (done) return Promise.resolve(done);
    const c = this.get(id);
    return new Promise((resolve, reject) => {
      c.waiters.push(resolve);
      signal?.addEventListener('abort', () => reject(signal.reason));
    });
  }

  async *logs(id: string, opts: LogReadOptions = {}): AsyncIterable<LogEntry> {
    const c = this.get(id);
    const all = c.logs;
    const start = opts.tail !== undefined && opts.tail >= 0 ? Math.max(0, all.length - opts.tail) : 0;
    let i = start;
    for (; i < all.length; i++) yield all[i];
    while (opts.follow && !c.exit && !opts.signal?.aborted) {
      await new Promise((r) => setTimeout(r, 5));
      for (; i < all.length; i++) yield all[i];
    }
    for (; i < all.length; i++) yield all[i];
  }

  async adopt(ids: readonly string[]): Promise<AdoptedContainer[]> {
    return ids.map((id) => {
      const c = this.containers.get(id);
      if (c && c.status !== 'stopped') return { id, status: c.status, pid: c.pid };
      const exit = c?.exit ?? this.exited.get(id);
      return exit ? { id, status: 'exited', pid: 0, exit } : { id, status: 'missing', pid: 0 };
    });
  }

  /**
   * The model of a process's stdio: a `cat` container echoes its stdin to stdout and exits 0
   * when stdin closes (as the real one does); others only record their input ({@link stdinOf}).
   */
  async attach(id: string): Promise<AttachConnection> {
    const c = this.get(id);
    if (c.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    const a: FakeAttach = { output: [], closed: [], open: true };
    c.attached.push(a);
    const isCat = this.programs.get(id)?.[0] === 'cat';
    return {
      onOutput: (cb) => void a.output.push(cb),
      onClose: (cb) => void a.closed.push(cb),
      write: (data, flushed) => {
        queueMicrotask(() => flushed?.());
        if (!a.open || c.stdinClosed || !c.spec.stdin) return;
        c.stdin.push(Buffer.from(data));
        if (isCat && c.status === 'running') this.emitOutput(id, 'stdout', data);
      },
      closeStdin: () => {
        if (!c.spec.stdin || !c.spec.stdinOnce || c.stdinClosed) return;
        c.stdinClosed = true;
        if (isCat && c.status === 'running') this.exit(id, 0);
      },
      close: () => this.detach(a),
    };
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const c = this.get(id);
    if (c.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    c.size = { height, width };
  }

  async pause(id: string): Promise<void> {
    const c = this.get(id);
    if (c.status !== 'running') throw new ConflictError(`Container ${id} is not running`);
    c.status = 'paused';
  }

  async resume(id: string): Promise<void> {
    const c = this.get(id);
    if (c.status !== 'paused') throw new ConflictError(`Container ${id} is not paused`);
    c.status = 'running';
    for (const signo of c.pending.splice(0)) {
      if (signo === constants.signals.SIGKILL || !c.ignored.has(signo)) return this.exit(id, 128 + signo);
    }
  }

  async update(id: string, resources: ContainerResources): Promise<void> {
    const c = this.get(id);
    if (c.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    c.resources = { ...c.resources, ...resources };
  }

  async pids(id: string): Promise<number[]> {
    const c = this.get(id);
    if (c.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    return [c.pid];
  }

  /** The limits last given to {@link update}. */
  resourcesOf(id: string): ContainerResources | undefined {
    return this.get(id).resources;
  }

  private detach(a: FakeAttach): void {
    if (!a.open) return;
    a.open = false;
    for (const cb of a.closed.splice(0)) cb();
  }

  // ---- test controls ---------------------------------------------------------------------

  /** Exit records that outlive `delete`, as conmon's exit file outlives `runc delete`. */
  private readonly exited = new Map<string, ExitStatus>();

  /** The container's process exits with `code` now. */
  exit(id: string, code: number, at = new Date()): void {
    const c = this.get(id);
    if (c.status === 'stopped') throw new ConflictError(`container ${id} already exited`);
    c.status = 'stopped';
    c.exit = { exitCode: code, finishedAt: at };
    this.exited.set(id, c.exit);
    for (const w of c.waiters.splice(0)) w(c.exit);
    for (const a of c.attached.splice(0)) this.detach(a);
  }

  /** The process ignores `signal` (e.g. SIGTERM), so only SIGKILL stops it. */
  ignoreSignal(id: string, signal: NodeJS.Signals): void {
    this.get(id).ignored.add(constants.signals[signal]);
  }

  /** The process writes to an attached client (and to its log). */
  emitOutput(id: string, stream: 'stdout' | 'stderr', data: Buffer | string): void {
    const c = this.get(id);
    const buf = Buffer.from(data);
    c.logs.push({ time: new Date().toISOString(), stream, text: buf.toString() });
    for (const a of c.attached) if (a.open) for (const cb of a.output) cb(stream, buf);
  }

  /** What attached clients wrote to the process's stdin, and whether it was closed. */
  stdinOf(id: string): { data: string; closed: boolean } {
    const c = this.get(id);
    return { data: Buffer.concat(c.stdin).toString(), closed: c.stdinClosed };
  }

  consoleSizeOf(id: string): { height: number; width: number } | undefined {
    return this.get(id).size;
  }

  writeLog(id: string, stream: 'stdout' | 'stderr', text: string, time = new Date().toISOString()): void {
    this.get(id).logs.push({ time, stream, text });
  }

  has(id: string): boolean {
    return this.containers.has(id);
  }

  createSpecOf(id: string): RuntimeCreateSpec {
    return this.get(id).spec;
  }

  private get(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundError(`No such container: ${id}`);
    return c;
  }
}
