import type { ExecInspect } from '@app/api/containers';
import { ConflictError, InvalidParameterError, NotFoundError, generateId } from '@app/common';
import type { ContainerManager, ExecResult } from '@app/container';
import type { EventsService } from '../events/events.service';

export interface ExecCreateRequest {
  Cmd?: string[] | string;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Privileged?: boolean;
}

interface ExecEntry {
  id: string;
  containerId: string;
  req: ExecCreateRequest;
  args: string[];
  running: boolean;
  exitCode: number | null;
  started: boolean;
}

/** How many finished execs are kept for `GET /exec/{id}/json` (dockerd keeps them until the container goes). */
const KEEP = 256;

/** `docker exec`: exec instances by id; they run through the runtime's `runc exec`. */
export class ExecRegistry {
  private readonly execs = new Map<string, ExecEntry>();

  constructor(
    private readonly manager: ContainerManager,
    private readonly events: EventsService,
  ) {}

  async create(ref: string, req: ExecCreateRequest): Promise<{ Id: string }> {
    const r = await this.manager.inspect(ref);
    if (!r.state.running) throw new ConflictError(`container ${r.id} is not running`);
    const args = typeof req.Cmd === 'string' ? [req.Cmd] : Array.isArray(req.Cmd) ? req.Cmd.filter((a) => typeof a === 'string') : [];
    if (args.length === 0) throw new InvalidParameterError('No exec command specified');
    const id = generateId();
    this.execs.set(id, { id, containerId: r.id, req, args, running: false, exitCode: null, started: false });
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

  /** Run it to the end; the output comes back whole (runc exec without a console). */
  async start(id: string): Promise<ExecResult & { tty: boolean }> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    e.started = true;
    e.running = true;
    const r = await this.manager.inspect(e.containerId);
    this.events.publish(`exec_start: ${e.args.join(' ')}`, r.id, { name: r.name.slice(1), execID: id }, 'container');
    try {
      const res = await this.manager.exec(e.containerId, { args: e.args, env: e.req.Env ?? undefined, cwd: e.req.WorkingDir || undefined });
      e.exitCode = res.exitCode;
      return { ...res, tty: e.req.Tty ?? false };
    } catch (err) {
      e.exitCode = 126;
      throw err;
    } finally {
      e.running = false;
      this.events.publish('exec_die', r.id, { name: r.name.slice(1), execID: id, exitCode: String(e.exitCode ?? -1) }, 'container');
    }
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
      DetachKeys: '',
      Pid: 0,
    };
  }
}
