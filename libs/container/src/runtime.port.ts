import type { ContainerResources } from './container-record';
import type { LogEntry, LogReadOptions } from './k8s-log';

/** What {@link Runtime.create} needs beyond the bundle already written at the layout's paths. */
export interface RuntimeCreateSpec {
  /** 64-hex container id; the bundle is `containerPaths(stateDir, id)`. */
  readonly id: string;
  /** Image layers for the overlay root, topmost first. */
  readonly lowers: readonly string[];
  /** Allocate a console (`-t`). */
  readonly terminal: boolean;
  /** Keep stdin open for attach (`-i`). */
  readonly stdin?: boolean;
  /** With `stdin`: the first attached client closing its input closes the container's stdin. */
  readonly stdinOnce?: boolean;
  readonly name?: string;
}

/**
 * A live connection to a container's stdio (`attach`). Output is what the container writes
 * from the moment of connecting (a TTY's output arrives as stdout); input goes to its stdin if
 * it was created with `stdin`. The connection ends (onClose) when the container has exited and
 * its output was delivered, or when either side closes it.
 */
export interface AttachConnection {
  onOutput(cb: (stream: 'stdout' | 'stderr', data: Buffer) => void): void;
  onClose(cb: () => void): void;
  /**
   * Input for its stdin. `flushed` runs once the bytes left the daemon (or were dropped because
   * the connection is gone): a caller relaying a client waits for it, so a container that does
   * not read its stdin holds the client back instead of queueing in the daemon's memory.
   */
  write(data: Buffer, flushed?: () => void): void;
  /** No more input: closes the container's stdin when it was created with `stdinOnce`. */
  closeStdin(): void;
  close(): void;
}

export type RuntimeStatus = 'created' | 'running' | 'paused' | 'stopped';

export interface RuntimeState {
  readonly id: string;
  readonly status: RuntimeStatus;
  /** Init's host pid; 0 once stopped. */
  readonly pid: number;
}

export interface ExitStatus {
  readonly exitCode: number;
  /** When the monitor recorded the exit. */
  readonly finishedAt: Date;
}

/** A process to run inside a running container (`docker exec`). */
export interface ExecSpec {
  readonly args: readonly string[];
  /** `KEY=value` replaces or adds to the container's environment; a bare `KEY` removes it (Docker's exec -e). */
  readonly env?: readonly string[];
  readonly cwd?: string;
  readonly user?: { readonly uid: number; readonly gid: number; readonly additionalGids?: readonly number[] };
  /** Every capability (`docker exec --privileged`); the container's other limits stay. */
  readonly privileged?: boolean;
  /** Bounds the whole exec; the process is killed past it. */
  readonly timeoutMs?: number;
}

/** An exec whose stdio stays connected (`docker exec` with its streams). */
export interface ExecSessionSpec extends ExecSpec {
  /** Run it on a console (`-t`): its output comes as stdout, raw. */
  readonly tty: boolean;
  /** Keep its stdin open for input (`-i`). */
  readonly stdin: boolean;
}

/**
 * A live exec: output as the process writes it, input to its stdin. Created connected but not
 * yet running, so that the caller hooks `onOutput` (and sizes the console) before `start`.
 */
export interface ExecSession extends AttachConnection {
  start(): void;
  /** The exit code; rejects if the runtime could not run the process at all. */
  readonly exited: Promise<number>;
  /** Resize the console of a `tty` session. */
  resize(height: number, width: number): Promise<void>;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What {@link Runtime.adopt} found for one container after a daemon (re)start. */
export interface AdoptedContainer {
  readonly id: string;
  /** `exited`: the monitor recorded an exit; `missing`: no runtime state and no exit record. */
  readonly status: 'created' | 'running' | 'paused' | 'exited' | 'missing';
  readonly pid: number;
  readonly exit?: ExitStatus;
}

/**
 * The container runtime as netd's lifecycle code sees it: one supervised process tree per id.
 * The real implementation (`RuncRuntime`) runs runc under a conmon monitor that outlives the
 * daemon; `FakeRuntime` (testing/) models the same states in memory. Both throw the same
 * kinds: NotFound for an unknown id, Conflict for a verb that does not fit the current status.
 */
export abstract class Runtime {
  /**
   * Mount the root filesystem and create the container (status `created`, process not yet
   * running), with a monitor capturing its output and waiting for its exit. Called after the
   * bundle (config.json, hosts, resolv.conf, hostname) was written. Conflict if the id exists;
   * leaves nothing behind on failure.
   */
  abstract create(spec: RuntimeCreateSpec): Promise<{ pid: number }>;

  /** Run a `created` container's process. Conflict unless `created`; NotFound if unknown. */
  abstract start(id: string): Promise<void>;

  /** Send a signal (name like 'SIGTERM' or number) to init. Conflict unless running/paused. */
  abstract kill(id: string, signal: string | number): Promise<void>;

  /**
   * Remove the runtime state and unmount the root. Conflict if still running unless `force`
   * (which kills it first). NotFound if unknown. The container's directory stays (the caller
   * owns it and removes it).
   */
  abstract delete(id: string, opts?: { force?: boolean }): Promise<void>;

  /** Current state, or undefined if the runtime does not know the id. */
  abstract state(id: string): Promise<RuntimeState | undefined>;

  /** Every container the runtime knows, any status. */
  abstract list(): Promise<RuntimeState[]>;

  /** Run a process in a running container and wait for it. Conflict unless running. */
  abstract exec(id: string, spec: ExecSpec): Promise<ExecResult>;

  /**
   * Prepare a process in a running container with its stdio connected (see {@link ExecSession}).
   * Conflict unless running, NotFound if unknown. Nothing runs until `start()`.
   */
  abstract execSession(id: string, spec: ExecSessionSpec): Promise<ExecSession>;

  /** The recorded exit, if the container has exited since its last start. */
  abstract readExit(id: string): Promise<ExitStatus | undefined>;

  /** Resolve when the container exits (immediately if it already has); rejects on abort. */
  abstract waitExit(id: string, signal?: AbortSignal): Promise<ExitStatus>;

  /** The container's output since create, oldest first; see {@link LogReadOptions}. */
  abstract logs(id: string, opts?: LogReadOptions): AsyncIterable<LogEntry>;

  /**
   * After a daemon start: report each of `ids` (the containers the daemon has records of) as
   * still running, or exited with the code its monitor recorded while netd was down, or missing.
   * Read-only: it changes nothing.
   */
  abstract adopt(ids: readonly string[]): Promise<AdoptedContainer[]>;

  /**
   * Connect to a created or running container's stdio. NotFound if unknown, Conflict if it
   * has stopped. Works after a daemon restart too (the monitor holds the stdio).
   */
  abstract attach(id: string): Promise<AttachConnection>;

  /** Resize a TTY container's console. NotFound if unknown, Conflict if it has stopped. */
  abstract resize(id: string, height: number, width: number): Promise<void>;

  /** Freeze every process of a running container. NotFound if unknown, Conflict unless running. */
  abstract pause(id: string): Promise<void>;

  /** Thaw a paused container. NotFound if unknown, Conflict unless paused. */
  abstract resume(id: string): Promise<void>;

  /**
   * Apply new cgroup limits to a live (running or paused) container; the values given replace
   * the current ones, the others stay. NotFound if unknown, Conflict once stopped.
   */
  abstract update(id: string, resources: ContainerResources): Promise<void>;

  /** Host pids of the container's processes (init first when alive). NotFound if unknown, Conflict once stopped. */
  abstract pids(id: string): Promise<number[]>;
}

export type { LogEntry, LogReadOptions };
