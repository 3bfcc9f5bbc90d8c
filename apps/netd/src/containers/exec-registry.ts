import { DEFAULT_DETACH_KEYS, parseDetachKeys, type ExecCreateDto, type ExecInspect } from '@app/api/containers';
import { ConflictError, InvalidParameterError, NotFoundError, generateId } from '@app/common';
import type { ContainerManager, ExecSession, ProcessUser } from '@app/container';
import { runcMessage } from '@app/kernel/runc';
import type { EventsService } from '../events/events.service';
import { checkConsoleSize } from './console-size';

/** The validated body of `POST /containers/{id}/exec` (ExecCreateDto). */
export type ExecCreateRequest = Omit<ExecCreateDto, 'Cmd'> & { Cmd?: string[] | string };

interface ExecEntry {
  id: string;
  containerId: string;
  req: ExecCreateRequest;
  args: string[];
  /** `User` resolved against the container's files at create; undefined: the container's own user. */
  user?: ProcessUser;
  detachKeys: Buffer;
  running: boolean;
  exitCode: number | null;
  started: boolean;
  session?: ExecSession;
  /** The last console size asked for (the client may resize before the process runs). */
  size?: { height: number; width: number };
}

/** A started exec as the stream code sees it. */
export interface OpenExec {
  session: ExecSession;
  tty: boolean;
  stdin: boolean;
  /** The byte sequence on stdin that detaches the client from a TTY session. */
  detachKeys: Buffer;
  run(): void;
  /** The exit code: 126 when the runtime could not run the program, 127 when it was not found (Docker's codes). */
  exited: Promise<number>;
  /** Once `exited` resolved: the runtime's error, in Docker's words, if the program never ran. */
  failure(): string | undefined;
}

/** Docker's text for an exec the runtime could not start (what the docker CLI prints). */
function execFailure(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return `OCI runtime exec failed: ${runcMessage(text) ?? text}: unknown`;
}

/**
 * dockerd's exit code for a process the runtime could not start (translateContainerdStartErr):
 * 126, but 127 when the error names the command and says it is missing, then 126 again for
 * "permission denied" (a directory or a file without x), and 127 for "not a directory".
 */
export function execFailureCode(cmd: string, message: string): number {
  const text = message.toLowerCase();
  let code = 126;
  if (text.includes(cmd.toLowerCase()) && (text.includes('executable file not found') || text.includes('no such file or directory'))) code = 127;
  if (text.includes('permission denied')) code = 126;
  if (text.includes('not a directory')) code = 127;
  return code;
}

/** How many finished execs are kept for `GET /exec/{id}/json` (dockerd keeps them until the container goes). */
const KEEP = 256;

/** `docker exec`: exec instances by id; each runs as a runtime exec session (conmon + runc exec). */
export class ExecRegistry {
  private readonly execs = new Map<string, ExecEntry>();

  constructor(
    private readonly manager: ContainerManager,
    private readonly events: EventsService,
  ) {}

  /**
   * Everything the request names is checked here, before an id exists: the command, the user
   * (against the container's /etc/passwd and /etc/group now), the detach keys. `req` has passed
   * ExecCreateDto.
   */
  async create(ref: string, req: ExecCreateRequest): Promise<{ Id: string }> {
    const r = await this.manager.inspect(ref);
    if (!r.state.running) throw new ConflictError(`container ${r.id} is not running`);
    if (r.state.paused) throw new ConflictError(`Container ${r.id} is paused, unpause the container before exec`);
    const args = typeof req.Cmd === 'string' ? [req.Cmd] : Array.isArray(req.Cmd) ? req.Cmd : [];
    if (args.length === 0 || args.some((a) => typeof a !== 'string') || args[0] === '') throw new InvalidParameterError('No exec command specified');
    const detachKeys = req.DetachKeys ? parseDetachKeys(req.DetachKeys) : DEFAULT_DETACH_KEYS;
    if (!detachKeys) throw new InvalidParameterError(`Invalid escape keys (${req.DetachKeys}) provided`);
    if (req.WorkingDir && !req.WorkingDir.startsWith('/')) {
      throw new InvalidParameterError(`the working directory '${req.WorkingDir}' is invalid, it needs to be an absolute path`);
    }
    const user = req.User ? await this.manager.execUser(r.id, req.User) : undefined;
    const id = generateId();
    const size = req.Tty && req.ConsoleSize ? { height: req.ConsoleSize[0], width: req.ConsoleSize[1] } : undefined;
    this.execs.set(id, { id, containerId: r.id, req, args, user, detachKeys, running: false, exitCode: null, started: false, size });
    if (this.execs.size > KEEP) {
      for (const [k, v] of this.execs) if (!v.running && v.started && this.execs.size > KEEP) this.execs.delete(k);
    }
    this.events.publish(`exec_create: ${args.join(' ')}`, r.id, { name: r.name.slice(1), execID: id }, 'container');
    return { Id: id };
  }

  get(id: string): ExecEntry {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /**
   * Start an exec: its session is connected before it runs (see ExecSession), so the caller
   * hooks the output first and then calls `run()`. The exit code is recorded before `exited`
   * resolves, so `GET /exec/{id}/json` has it as soon as the stream ends.
   */
  async open(id: string): Promise<OpenExec> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    e.started = true;
    const r = await this.manager.inspect(e.containerId);
    const tty = e.req.Tty ?? false;
    const stdin = e.req.AttachStdin ?? false;
    let session: ExecSession;
    try {
      session = await this.manager.execSession(e.containerId, { args: e.args, env: e.req.Env ?? undefined, cwd: e.req.WorkingDir || undefined, user: e.user, privileged: e.req.Privileged ?? false, tty, stdin });
    } catch (err) {
      e.exitCode = 126;
      throw err;
    }
    e.session = session;
    let failure: string | undefined;
    const exited = session.exited.then(
      (code) => code,
      (err: unknown) => {
        failure = execFailure(err);
        return execFailureCode(e.args[0], failure);
      },
    ).then((code) => {
      e.exitCode = code;
      e.running = false;
      e.session = undefined;
      this.events.publish('exec_die', r.id, { name: r.name.slice(1), execID: id, exitCode: String(code) }, 'container');
      return code;
    });
    const run = () => {
      e.running = true;
      this.events.publish(`exec_start: ${e.args.join(' ')}`, r.id, { name: r.name.slice(1), execID: id }, 'container');
      session.start();
      if (e.size) void session.resize(e.size.height, e.size.width).catch(() => undefined);
    };
    return { session, tty, stdin, detachKeys: e.detachKeys, run, exited, failure: () => failure };
  }

  /** `POST /exec/{id}/start` with Detach: run it with nobody attached. */
  async startDetached(id: string): Promise<void> {
    const { session, run } = await this.open(id);
    session.onOutput(() => undefined);
    run();
  }

  /** `POST /exec/{id}/resize`: the console of a running TTY exec; before it runs, kept for its start. */
  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    checkConsoleSize(height, width);
    if (!(e.req.Tty ?? false)) return;
    e.size = { height, width };
    if (e.running && e.session) await e.session.resize(height, width);
  }

  inspect(id: string): ExecInspect {
    const e = this.get(id);
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: e.req.Tty ?? false, entrypoint: e.args[0], arguments: e.args.slice(1), privileged: e.req.Privileged ?? false, user: e.req.User ?? '' },
      OpenStdin: e.req.AttachStdin ?? false,
      OpenStderr: e.req.AttachStderr ?? false,
      OpenStdout: e.req.AttachStdout ?? false,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.req.DetachKeys ?? '',
      Pid: 0,
    };
  }
}
