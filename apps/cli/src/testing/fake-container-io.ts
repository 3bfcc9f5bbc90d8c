import { randomBytes } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { DaemonError } from '../client/errors';
import type { ExecCreateRequest, ExecInspect } from '../client/engine-types';
import type { LogsOptions } from '../client/netd-api';
import { frame } from '../client/stdcopy';
import { FakeContainers } from './fake-containers';
import { FakeProgram, type ProgramIo } from './fake-programs';
import { list, type FakeContainer } from './fake-state';

/** A container's streams: logs (with follow), attach, and exec with docker's multiplexed frames. */
export class FakeContainerIo extends FakeContainers {
  private execs = new Map<string, { container: FakeContainer; req: ExecCreateRequest; code: number | null; running: boolean }>();

  async containerLogs(id: string, o: LogsOptions): Promise<AsyncIterable<Uint8Array>> {
    this.requests.push({ method: 'logs', target: id, body: o });
    const c = this.container(id);
    const tail = o.tail && o.tail !== 'all' ? Number(o.tail) : undefined;
    const past = tail !== undefined ? c.logs.slice(Math.max(0, c.logs.length - tail)) : [...c.logs];
    if (!o.follow || c.status !== 'running') return list(past);
    const live = new PassThrough();
    for (const b of past) live.write(b);
    c.attached.push(live);
    return live;
  }

  async attachContainer(id: string, o: { stdin?: boolean }): Promise<Duplex> {
    this.requests.push({ method: 'attach', target: id, body: o });
    const c = this.container(id);
    const out = new PassThrough();
    c.attached.push(out);
    const stdin = new PassThrough();
    if (o.stdin) c.stdin = stdin;
    return Duplex.from({ readable: out, writable: stdin });
  }

  async resizeContainer(id: string): Promise<void> {
    this.container(id);
  }

  async createExec(container: string, req: ExecCreateRequest): Promise<{ Id: string }> {
    this.requests.push({ method: 'createExec', target: container, body: structuredClone(req) });
    const c = this.container(container);
    if (c.status !== 'running') throw new DaemonError(409, `container ${c.id} is not running`);
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { container: c, req, code: null, running: false });
    return { Id: id };
  }

  async startExec(id: string, o: { detach?: boolean; tty?: boolean }): Promise<Duplex | undefined> {
    const e = this.execs.get(id);
    if (!e) throw new DaemonError(404, `No such exec instance: ${id}`);
    const out = new PassThrough();
    const io: ProgramIo = {
      stdout: (s) => out.write(o.tty ? Buffer.from(s) : frame(1, s)),
      stderr: (s) => out.write(o.tty ? Buffer.from(s) : frame(2, s)),
      exit: (code) => {
        e.code = code;
        e.running = false;
        out.end();
      },
    };
    const program = FakeProgram.start(e.req.Cmd, io);
    if (typeof program === 'string') throw new DaemonError(400, `OCI runtime exec failed: exec failed: unable to start container process: exec: "${e.req.Cmd[0]}": ${program}: unknown`);
    e.running = true;
    setImmediate(() => program.run());
    return o.detach ? undefined : Duplex.from({ readable: out, writable: new PassThrough() });
  }

  async inspectExec(id: string): Promise<ExecInspect> {
    const e = this.execs.get(id);
    if (!e) throw new DaemonError(404, `No such exec instance: ${id}`);
    return { ID: id, Running: e.running, ExitCode: e.code };
  }

}
