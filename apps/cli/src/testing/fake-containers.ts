import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import { DaemonError } from '../client/errors';
import type { ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerSummary, Port, WaitResponse } from '../client/engine-types';
import type { ContainerPathStat, Filters } from '../client/netd-api';
import { frame } from '../client/stdcopy';
import { familiarString } from '../commands/image/reference';
import { humanDuration } from '../output/go-units';
import { FakeImages } from './fake-images';
import { FakeProgram, type ProgramIo } from './fake-programs';
import { normalTag, type FakeContainer } from './fake-state';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Container lifecycle: containers run tiny programs (echo, sh -c 'exit N', sleep, cat); `advance`
 * lets time pass, so tests see docker's status strings without processes.
 */
export class FakeContainers extends FakeImages {
  async createContainer(req: ContainerCreateRequest, name?: string): Promise<ContainerCreateResponse> {
    this.requests.push({ method: 'createContainer', target: name, body: structuredClone(req) });
    if (name !== undefined && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) throw new DaemonError(400, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const img = this.images.find((i) => i.tags.includes(normalTag(req.Image)) || i.id === req.Image);
    if (!img) throw new DaemonError(404, `No such image: ${familiarString(normalTag(req.Image))}`);
    const id = randomBytes(32).toString('hex');
    const cname = name?.replace(/^\//, '') ?? `fake_${this.containers.length}`;
    const clash = this.containers.find((c) => c.name === cname);
    if (clash) throw new DaemonError(409, `Conflict. The container name "/${cname}" is already in use by container "${clash.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const config = structuredClone(req);
    if (!config.Cmd?.length && !config.Entrypoint?.length) config.Cmd = img.cmd;
    this.containers.push({ id, name: cname, image: req.Image, imageId: img.id, config, created: this.now, status: 'created', exitCode: 0, logs: [], attached: [], waiters: [] });
    return { Id: id, Warnings: [] };
  }

  async startContainer(id: string): Promise<void> {
    this.requests.push({ method: 'startContainer', target: id });
    const c = this.container(id);
    if (c.status === 'running') return;
    const argv = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
    const io: ProgramIo = { stdout: (s) => this.emit(c, 1, s), stderr: (s) => this.emit(c, 2, s), exit: (code) => this.exit(c, code), stdin: c.stdin };
    const program = FakeProgram.start(argv, io);
    if (typeof program === 'string') throw new DaemonError(400, `failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": ${program}: unknown`);
    c.status = 'running';
    c.startedAt = this.now;
    c.program = program;
    setImmediate(() => program.run());
  }

  async renameContainer(id: string, name: string): Promise<void> {
    this.requests.push({ method: 'renameContainer', target: id, body: { name } });
    const c = this.container(id);
    if (!name) throw new DaemonError(400, 'Neither old nor new names may be empty');
    const clash = this.containers.find((x) => x.name === name.replace(/^\//, ''));
    if (clash) throw new DaemonError(409, `Error when allocating new name: Conflict. The container name "/${clash.name}" is already in use by container "${clash.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    c.name = name.replace(/^\//, '');
  }

  /** Paused containers are recorded here (the fake's status has no paused state). */
  readonly paused = new Set<string>();

  async pauseContainer(id: string): Promise<void> {
    this.requests.push({ method: 'pauseContainer', target: id });
    const c = this.container(id);
    if (c.status !== 'running') throw new DaemonError(409, `Container ${c.id} is not running`);
    if (this.paused.has(c.id)) throw new DaemonError(409, `Container ${c.id} is already paused`);
    this.paused.add(c.id);
  }

  async unpauseContainer(id: string): Promise<void> {
    this.requests.push({ method: 'unpauseContainer', target: id });
    const c = this.container(id);
    if (!this.paused.delete(c.id)) throw new DaemonError(409, `Container ${c.id} is not paused`);
  }

  async updateContainer(id: string, config: Record<string, unknown>): Promise<{ Warnings: string[] | null }> {
    this.requests.push({ method: 'updateContainer', target: id, body: structuredClone(config) });
    this.container(id);
    return { Warnings: [] };
  }

  async topContainer(id: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    this.requests.push({ method: 'topContainer', target: id, body: { psArgs } });
    const c = this.container(id);
    if (c.status !== 'running') throw new DaemonError(409, `Container ${c.id} is not running`);
    const argv = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(' ');
    return { Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes: [['root', '4242', '4200', '0', '10:00', '?', '00:00:00', argv]] };
  }

  async containerStats(id: string): Promise<Record<string, unknown>> {
    this.requests.push({ method: 'containerStats', target: id });
    const c = this.container(id);
    const running = c.status === 'running';
    return {
      name: `/${c.name}`, id: c.id, pids_stats: running ? { current: 1 } : {}, blkio_stats: { io_service_bytes_recursive: running ? [{ major: 8, minor: 0, op: 'read', value: 4096 }] : null },
      cpu_stats: { cpu_usage: { total_usage: running ? 2e8 : 0 }, system_cpu_usage: running ? 2e9 : 0, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: running ? 1e8 : 0 }, system_cpu_usage: running ? 1e9 : 0 },
      memory_stats: running ? { usage: 3 << 20, limit: 64 << 20, stats: { inactive_file: 1 << 20 } } : {},
      networks: running ? { eth0: { rx_bytes: 1500, tx_bytes: 500 } } : undefined,
    };
  }

  /** Each container's files for cp: path → content, or null for a directory. */
  readonly files = new Map<string, Map<string, string | null>>();

  private fsOf(id: string): Map<string, string | null> {
    const c = this.container(id);
    let fs = this.files.get(c.id);
    if (!fs) this.files.set(c.id, (fs = new Map<string, string | null>([['/', null], ['/etc', null], ['/etc/hostname', `${c.id.slice(0, 12)}\n`]])));
    return fs;
  }

  async statContainerPath(id: string, path: string): Promise<ContainerPathStat> {
    this.requests.push({ method: 'statContainerPath', target: id, body: { path } });
    const p = posix.normalize(`/${path}`).replace(/(.)\/$/, '$1');
    const v = this.fsOf(id).get(p);
    if (v === undefined) throw new DaemonError(404, `Could not find the file ${path} in container ${id}`);
    return { name: posix.basename(p) || '/', size: v?.length ?? 4096, mode: v === null ? 2 ** 31 + 0o755 : 0o644, mtime: new Date(this.now * 1000).toISOString(), linkTarget: '' };
  }

  async getArchive(id: string, path: string): Promise<AsyncIterable<Uint8Array>> {
    const st = await this.statContainerPath(id, path);
    const p = posix.normalize(`/${path}`).replace(/(.)\/$/, '$1');
    const tar = pack();
    for (const [k, v] of [...this.fsOf(id)].sort()) {
      if (k !== p && !k.startsWith(`${p === '/' ? '' : p}/`)) continue;
      const name = posix.join(st.name, posix.relative(p, k));
      if (v === null) tar.entry({ name: `${name}/`, type: 'directory', mode: 0o755 });
      else tar.entry({ name, type: 'file', mode: 0o644 }, v);
    }
    tar.finalize();
    return tar as unknown as AsyncIterable<Uint8Array>;
  }

  async putArchive(id: string, path: string, tar: AsyncIterable<Uint8Array>): Promise<void> {
    this.requests.push({ method: 'putArchive', target: id, body: { path } });
    const fs = this.fsOf(id);
    const dest = posix.normalize(`/${path}`).replace(/(.)\/$/, '$1');
    if (fs.get(dest) !== null) throw new DaemonError(fs.has(dest) ? 400 : 404, fs.has(dest) ? 'extraction point is not a directory' : `Could not find the file ${path} in container ${id}`);
    const ex = extract();
    const feeding = pipeline(Readable.from(tar), ex);
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      fs.set(posix.join(dest, e.header.name).replace(/(.)\/$/, '$1'), e.header.type === 'directory' ? null : Buffer.concat(chunks).toString());
    }
    await feeding;
  }

  async pruneContainers(filters?: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    this.requests.push({ method: 'pruneContainers', filters });
    const gone = this.containers.filter((c) => c.status !== 'running');
    for (const c of gone) this.containers.splice(this.containers.indexOf(c), 1);
    return { ContainersDeleted: gone.length > 0 ? gone.map((c) => c.id) : null, SpaceReclaimed: gone.length > 0 ? 1024 : 0 };
  }

  async stopContainer(id: string, o: { signal?: string } = {}): Promise<void> {
    this.requests.push({ method: 'stopContainer', target: id, body: o });
    const c = this.container(id);
    if (c.status === 'running') c.program?.signal(o.signal ?? 'SIGTERM');
  }

  async restartContainer(id: string): Promise<void> {
    this.requests.push({ method: 'restartContainer', target: id });
    const c = this.container(id);
    if (c.status === 'running') c.program?.signal('SIGKILL');
    await this.startContainer(id);
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    this.requests.push({ method: 'killContainer', target: id, body: { signal } });
    const c = this.container(id);
    if (c.status !== 'running') throw new DaemonError(409, `cannot kill container: ${id}: container ${c.id} is not running`);
    c.program?.signal(signal ?? 'SIGKILL');
  }

  async removeContainer(id: string, o: { force?: boolean } = {}): Promise<void> {
    this.requests.push({ method: 'removeContainer', target: id, body: o });
    const c = this.container(id);
    if (c.status === 'running' && !o.force) throw new DaemonError(409, `cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
    if (c.status === 'running') c.program?.signal('SIGKILL');
    this.containers.splice(this.containers.indexOf(c), 1);
  }

  async waitContainer(id: string, condition?: string): Promise<WaitResponse> {
    this.requests.push({ method: 'waitContainer', target: id, body: { condition } });
    const c = this.container(id);
    if (c.status === 'exited' && condition !== 'next-exit') return { StatusCode: c.exitCode };
    return new Promise((resolve) => c.waiters.push((code) => resolve({ StatusCode: code })));
  }

  async listContainers(o: { all?: boolean; limit?: number; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    this.requests.push({ method: 'listContainers', body: { all: o.all, limit: o.limit }, filters: o.filters });
    let list = [...this.containers].reverse().filter((c) => o.all || (o.limit ?? -1) > 0 || c.status === 'running');
    for (const [k, values] of Object.entries(o.filters ?? {})) {
      list = list.filter((c) => values.some((v) => (k === 'name' ? c.name.includes(v) : k === 'status' ? c.status === v : k === 'id' ? c.id.startsWith(v) : false)));
    }
    if (o.limit !== undefined && o.limit > 0) list = list.slice(0, o.limit);
    return list.map((c) => ({
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.image,
      ImageID: c.imageId,
      // moby's list view: arguments containing a space are single-quoted
      Command: [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].map((a, i) => (i > 0 && a.includes(' ') ? `'${a}'` : a)).join(' '),
      Created: Math.floor(c.created / 1000),
      Ports: ports(c.config),
      Labels: c.config.Labels ?? {},
      State: c.status,
      Status: this.status(c),
    }));
  }

  async inspectContainerWithRaw(id: string): Promise<{ container: ContainerInspect; raw: string }> {
    this.requests.push({ method: 'inspectContainer', target: id });
    const c = this.container(id);
    const iso = (t?: number) => (t ? new Date(t).toISOString() : ZERO_TIME);
    const bindings = c.config.HostConfig?.PortBindings ?? {};
    const container: ContainerInspect = {
      Id: c.id,
      Name: `/${c.name}`,
      Created: iso(c.created),
      State: { Status: c.status, Running: c.status === 'running', ExitCode: c.exitCode, StartedAt: iso(c.startedAt), FinishedAt: iso(c.finishedAt) },
      Image: c.imageId,
      Config: c.config,
      HostConfig: c.config.HostConfig,
      NetworkSettings: { Ports: c.status === 'running' ? Object.fromEntries(Object.entries(bindings).map(([k, v]) => [k, v.map((b) => ({ HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort }))])) : {} },
    };
    return { container, raw: JSON.stringify(container) };
  }

  private emit(c: FakeContainer, stream: 1 | 2, text: string): void {
    const data = c.config.Tty ? Buffer.from(text) : frame(stream, text);
    c.logs.push(data);
    for (const a of c.attached) a.write(data);
  }

  private exit(c: FakeContainer, code: number): void {
    c.status = 'exited';
    c.exitCode = code;
    c.finishedAt = this.now;
    for (const a of c.attached.splice(0)) a.end();
    for (const w of c.waiters.splice(0)) w(code);
    if (c.config.HostConfig?.AutoRemove && this.containers.includes(c)) this.containers.splice(this.containers.indexOf(c), 1);
  }

  private status(c: FakeContainer): string {
    if (c.status === 'created') return 'Created';
    if (c.status === 'running') return `Up ${humanDuration(this.now - (c.startedAt ?? this.now))}`;
    return `Exited (${c.exitCode}) ${humanDuration(this.now - (c.finishedAt ?? this.now))} ago`;
  }
}

function ports(req: ContainerCreateRequest): Port[] {
  const out: Port[] = [];
  for (const [spec, bindings] of Object.entries(req.HostConfig?.PortBindings ?? {})) {
    const [port, type] = spec.split('/');
    for (const b of bindings) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}
