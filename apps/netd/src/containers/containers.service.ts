import { ContainerCreateDto, HostConfigDto, type ContainerCreateResponse, type EndpointConfig } from '@app/api/containers';
import { ConflictError, InvalidParameterError, NotFoundError, generateId } from '@app/common';
import {
  canonicalName, containerPaths, detectHostLimits, generateName, type HostLimits, type ContainerLifecycleEvent, type ContainerManager, type ContainerRecord, type ContainerSpec, type LogEntry,
  type LogReadOptions, type Runtime as ContainerRuntime, type WaitCondition, type AttachConnection,
} from '@app/container';
import { familiarString, parseReference } from '@app/common';
import type { Images } from '@app/image';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { Logger } from 'pino';
import type { EventsService } from '../events/events.service';
import type { NetworksService } from '../networks/networks.service';
import type { ContainerNet, SqliteContainerStore } from '../store/sqlite-container-store';
import type { StateStore } from '../store/state-store';
import { attachment, commandLine, decodeNetworking, parseLink, resolveLinks, type RequestContext } from './container-request';
import type { ContainerNetworking } from './container-network';
import { linkEnv } from './link-env';
import { ExecRegistry } from './exec-registry';
import { checkConsoleSize } from './console-size';
import { parseBody } from '../http/parse-body';
import { checkConfigOptions, hostOptions } from './create-options';
import { checkConfigValues } from './config-values';
import { anonymousVolumes, planMounts, realizeMounts, type MountContext } from './mounts';
import type { Volumes } from '@app/volume';
import { containerHealthConfig } from './health';

export interface ContainersDeps {
  manager: ContainerManager;
  runtime: ContainerRuntime;
  containers: SqliteContainerStore;
  net: ContainerNetworking;
  /** The image catalog (resolve, inspect, unpack). */
  images: Images;
  networks: NetworksService;
  store: StateStore;
  ipam: Ipam;
  events: EventsService;
  log: Logger;
  /** For `--network host`: the namespace path, or 'host' when it is the daemon's own. */
  hostNetns: string | 'host';
  stateDir: string;
  /** What create checks resource limits against; default: read from the host at first use. */
  hostLimits?: HostLimits;
  /** Volumes for `-v`, `--mount` and image VOLUMEs. */
  volumes: Volumes;
}

/** The container verbs of the Engine API over ContainerManager, with networking and images. */
export class ContainersService {
  readonly execs: ExecRegistry;
  private readonly releasing = new Map<string, Promise<void>>();
  private readonly deleting = new Set<string>();
  private readonly restarting = new Map<string, Promise<void>>();

  /** Attaches waiting for their container's runtime create (attach before start). */
  private readonly pendingAttach = new Map<string, Array<{ resolve(c: AttachConnection): void; reject(e: unknown): void }>>();

  private readonly containers: SqliteContainerStore;
  private readonly events: EventsService;
  private readonly givenHostLimits?: HostLimits;
  private readonly hostNetns: string | 'host';
  private readonly images: Images;
  private readonly ipam: Ipam;
  private readonly log: Logger;
  private readonly manager: ContainerManager;
  private readonly net: ContainerNetworking;
  private readonly networks: NetworksService;
  private readonly runtime: ContainerRuntime;
  private readonly stateDir: string;
  private readonly store: StateStore;
  private readonly volumes: Volumes;

  constructor(deps: ContainersDeps) {
    this.containers = deps.containers;
    this.events = deps.events;
    this.givenHostLimits = deps.hostLimits;
    this.hostNetns = deps.hostNetns;
    this.images = deps.images;
    this.ipam = deps.ipam;
    this.log = deps.log;
    this.manager = deps.manager;
    this.net = deps.net;
    this.networks = deps.networks;
    this.volumes = deps.volumes;
    this.runtime = deps.runtime;
    this.stateDir = deps.stateDir;
    this.store = deps.store;
    this.execs = new ExecRegistry(deps.manager, deps.events);
    deps.manager.onCreated((id) => this.connectPending(id));
    deps.manager.onLifecycleEvent((e) => this.onManagerEvent(e));
  }

  /**
   * `POST /containers/create` (and build steps). The whole body is validated before anything is
   * looked up or made, as dockerd does: types (400), values runc would refuse at start (400),
   * options netd does not honour (501). Then image, networks, and the record.
   */
  async create(name: string | undefined, body: unknown): Promise<ContainerCreateResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameterError('config cannot be empty in order to create a container');
    const req = parseBody(ContainerCreateDto, body);
    if (name) canonicalName(name);
    const hc = req.HostConfig ?? new HostConfigDto();
    checkConfigOptions(req);
    const opts = hostOptions(hc, this.hostLimits());
    const mode = hc.NetworkMode ?? '';
    checkConfigValues(req, { hostNetwork: mode === 'host' || this.sharesHostNetwork(mode), privateIpc: true });
    const image = await this.resolveImage(req.Image);
    const details = await this.images.inspect(image.configDigest);
    const ic = details.config.config ?? {};
    const decoded = decodeNetworking(req, Object.keys(ic.ExposedPorts ?? {}), this.requestContext());
    const lowers = (await this.images.store.unpack(image.manifestDigest)).slice().reverse();
    const mountCtx: MountContext = { volumes: this.volumes, lowers, findContainer: (t) => this.findRecord(t) };
    const mountPlan = await planMounts(req, hc, Object.keys(ic.Volumes ?? {}), mountCtx);
    const argv = commandLine(req, ic);
    if (argv.length === 0) throw new InvalidParameterError('No command specified');
    const env = mergeEnv(ic.Env ?? [], req.Env ?? []);
    const selfName = name ? canonicalName(name) : generateName((n) => this.containers.findByNameSync(n) !== undefined);
    for (const l of decoded.net.legacyLinks) {
      const t = this.containers.getSync(l.container)!;
      const ip = this.net.endpointsOf(t.id).find((e) => this.store.getNetwork(e.networkId)?.name === 'bridge')?.ipv4?.split('/')[0];
      if (ip) env.push(...linkEnv(l.alias, selfName, { name: t.name.slice(1), ip, exposed: this.net.net(t.id).exposed, env: t.spec.env ?? [] }));
    }
    const net: ContainerNet = { ...decoded.net, netns: `netd-c-${generateId().slice(0, 12)}` };
    const netnsPath = this.netnsPath(net);
    const spec: ContainerSpec = {
      name: selfName,
      image: req.Image,
      imageId: image.configDigest,
      lowers,
      cmd: argv,
      env,
      workingDir: req.WorkingDir || ic.WorkingDir || undefined,
      user: req.User || ic.User || undefined,
      hostname: req.Hostname || undefined,
      domainname: req.Domainname || undefined,
      tty: req.Tty ?? false,
      openStdin: req.OpenStdin ?? false,
      stdinOnce: req.StdinOnce ?? false,
      stopSignal: req.StopSignal || ic.StopSignal || undefined,
      stopTimeout: req.StopTimeout ?? undefined,
      restartPolicy: decoded.restartPolicy,
      autoRemove: hc.AutoRemove ?? false,
      network: netnsPath === 'host' ? { kind: 'host' } : { kind: 'netns', netnsPath },
      dns: { dns: hc.Dns ?? [], dnsSearch: hc.DnsSearch ?? [], dnsOptions: hc.DnsOptions ?? [] },
      extraHosts: hc.ExtraHosts ?? [],
      labels: { ...(ic.Labels ?? {}), ...(req.Labels ?? {}) },
      capAdd: hc.CapAdd ?? undefined,
      capDrop: hc.CapDrop ?? undefined,
      sysctls: hc.Sysctls ? { ...hc.Sysctls } : undefined,
      readonlyRootfs: hc.ReadonlyRootfs ?? false,
      resources: opts.resources,
      pidHost: opts.pidHost || undefined,
      cgroupns: opts.cgroupns,
      shmSizeBytes: opts.shmSizeBytes,
      oomScoreAdj: opts.oomScoreAdj,
      consoleSize: opts.consoleSize,
      asGiven: {
        attachStdin: req.AttachStdin ?? false, attachStdout: req.AttachStdout ?? false, attachStderr: req.AttachStderr ?? false,
        ipcMode: hc.IpcMode || 'private', securityOpt: hc.SecurityOpt ?? null, isolation: hc.Isolation ?? '', runtime: hc.Runtime || 'runc',
        dns: hc.Dns ?? null, dnsSearch: hc.DnsSearch ?? null, dnsOptions: hc.DnsOptions ?? null,
        ...(req.MacAddress ? { macAddress: req.MacAddress } : {}),
      },
      healthcheck: containerHealthConfig(ic.Healthcheck, req.Healthcheck),
    };
    // volumes are made last, once everything above has accepted the request
    const realized = await realizeMounts(mountPlan, mountCtx, `creating-${generateId().slice(0, 12)}`);
    const full: ContainerSpec = { ...spec, mounts: realized.mounts, mountRequest: mountPlan.echo };
    const unstage = this.containers.stageNet(full, net);
    try {
      const record = await this.manager.create(full);
      realized.release();
      return { Id: record.id, Warnings: [...opts.warnings, ...decoded.warnings] };
    } catch (e) {
      await realized.undo();
      throw e;
    } finally {
      unstage();
    }
  }

  /** A container record by id, name or unique id prefix (NotFound, or 400 for an ambiguous prefix). */
  private findRecord(t: string): ContainerRecord {
    const all = this.containers.listSync();
    return all.find((x) => x.id === t || x.name === `/${t}` || x.name === t) ?? uniquePrefix(all, t);
  }

  private limits?: HostLimits;
  private hostLimits(): HostLimits {
    return (this.limits ??= this.givenHostLimits ?? detectHostLimits());
  }

  /** `container:<x>` where x runs on the host network (its sysctls would be the host's). */
  private sharesHostNetwork(mode: string): boolean {
    if (!mode.startsWith('container:')) return false;
    try {
      return this.requestContext().findContainer(mode.slice('container:'.length)).net?.kind === 'host';
    } catch {
      return false;
    }
  }

  private netnsPath(net: ContainerNet): string {
    if (net.kind === 'host') return this.hostNetns;
    if (net.kind === 'container') {
      const other = this.net.net(net.sharedWith!);
      return other.kind === 'host' ? this.hostNetns : this.net.netnsPathFor(other, net.sharedWith!);
    }
    return this.net.netnsPathFor(net, '');
  }

  private async resolveImage(text: string) {
    try {
      return await this.images.resolve(text);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      let shown = text;
      try {
        shown = familiarString(parseReference(text));
      } catch {
        // not a reference: show it as given
      }
      throw new NotFoundError(`No such image: ${shown}`);
    }
  }

  requestContext(): RequestContext {
    return {
      // A 404 from create makes the docker CLI pull the image and retry; dockerd reports a missing
      // network at start. netd checks at create (nothing is left behind) and answers 400.
      findNetwork: (t) => {
        try {
          return this.networks.find(t);
        } catch (e) {
          if (e instanceof NotFoundError) throw new InvalidParameterError(e.message);
          throw e;
        }
      },
      findContainer: (t) => {
        const r = this.findRecord(t);
        return { id: r.id, name: r.name, running: r.state.running, net: this.containers.net(r.id) };
      },
      capabilities: (n) => this.networks.capabilities(n),
      ipam: this.ipam,
      freeHostPort: () => this.freeHostPort(),
    };
  }

  private freeHostPort(): number {
    const used = new Set(this.containers.listSync().flatMap((r) => this.containers.net(r.id)?.ports.map((p) => p.hostPort) ?? []));
    for (let i = 0; i < 1000; i++) {
      const p = 49153 + Math.floor(Math.random() * (65535 - 49153));
      if (!used.has(p)) return p;
    }
    throw new ConflictError('no free host port');
  }

  find(ref: string): Promise<ContainerRecord> {
    return this.manager.inspect(ref);
  }

  start(ref: string): Promise<boolean> {
    return this.manager.start(ref);
  }

  async stop(ref: string, opts: { signal?: string; timeoutSec?: number }): Promise<boolean> {
    const r = await this.find(ref);
    const stopped = await this.manager.stop(r.id, opts);
    await this.release(r.id);
    return stopped;
  }

  async kill(ref: string, signal?: string): Promise<void> {
    await this.manager.kill(ref, signal || 'SIGKILL');
  }

  /**
   * Restarts of one container run one after another: a second one's release (stop answers
   * "not running" at once) tore down the namespace the first one's start was handing to runc.
   */
  async restart(ref: string, opts: { signal?: string; timeoutSec?: number }): Promise<void> {
    const r = await this.find(ref);
    const run = (this.restarting.get(r.id) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      await this.manager.restart(r.id, opts, (id) => this.release(id));
    });
    this.restarting.set(r.id, run);
    try {
      await run;
    } finally {
      if (this.restarting.get(r.id) === run) this.restarting.delete(r.id);
    }
  }

  /** `volumes` (`rm -v`): the container's anonymous volumes go too; named ones stay. */
  async delete(ref: string, opts: { force?: boolean; link?: boolean; volumes?: boolean }): Promise<void> {
    if (opts.link) return this.removeLink(ref);
    const r = await this.find(ref);
    // the manager removes the runtime state itself; an exit seen meanwhile must not race it
    this.deleting.add(r.id);
    try {
      await this.manager.delete(r.id, { force: opts.force });
    } finally {
      this.deleting.delete(r.id);
    }
    await this.net.tearDown(r.id);
    if (opts.volumes) await this.removeVolumes(anonymousVolumes(r));
  }

  /**
   * Remove anonymous volumes after their container went. One that another container still
   * uses (`--volumes-from`) stays, as with dockerd, which ignores "in use" here.
   */
  private async removeVolumes(names: readonly string[]): Promise<void> {
    for (const n of names) {
      await this.volumes.remove(n).catch((err) => {
        if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) this.log.warn({ err, volume: n }, 'remove anonymous volume');
      });
    }
  }

  /** Anonymous volumes of `--rm` containers that died, removed with them on destroy. */
  private readonly autoRemoveVolumes = new Map<string, string[]>();

  /**
   * A stopped container holds no kernel objects, as with Docker: endpoints and namespace go, and
   * the runtime's state (the next start creates them again; the rootfs mount lived only in the
   * container's mount namespace and went with its last process).
   */
  private release(id: string): Promise<void> {
    const running = this.releasing.get(id);
    if (running) return running;
    const p = (async () => {
      await this.net.tearDown(id);
      if (this.deleting.has(id)) return;
      const st = await this.runtime.state(id);
      if (st?.status === 'stopped') {
        await this.runtime.delete(id).catch((e) => {
          if (!(e instanceof NotFoundError)) this.log.warn({ err: e, container: id }, 'runtime cleanup');
        });
      }
    })().finally(() => this.releasing.delete(id));
    this.releasing.set(id, p);
    return p;
  }

  /** `DELETE /containers/<parent>/<alias>?link=1`: drop a legacy link. */
  private async removeLink(ref: string): Promise<void> {
    const [parent, alias] = ref.replace(/^\//, '').split('/');
    if (!parent || !alias) throw new InvalidParameterError(`Conflict, cannot remove the default link name of the container`);
    const r = await this.find(parent);
    const net = this.net.net(r.id);
    if (!net.legacyLinks.some((l) => l.alias === alias)) throw new NotFoundError(`Could not find entity for ${ref}`);
    const next = { ...net, legacyLinks: net.legacyLinks.filter((l) => l.alias !== alias) };
    this.containers.setNet(r.id, next);
    if (this.net.isUp(r.id)) await this.net.writeFiles(r, next);
  }

  async wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number }> {
    if (condition !== 'removed') return this.manager.wait(ref, condition, signal);
    // `docker run --rm` returns when this answers: the container's network must be gone by then
    // too. Its teardown runs on the destroy event; joining the per-container lock waits for it.
    const id = (await this.manager.inspect(ref)).id;
    const result = await this.manager.wait(id, condition, signal);
    await this.net.tearDown(id);
    return result;
  }

  logs(ref: string, opts: LogReadOptions): Promise<AsyncIterable<LogEntry>> {
    return this.manager.logs(ref, opts);
  }

  /**
   * A live connection to the container's stdio (attach with stdin). For a container not yet
   * started (the docker client attaches, then starts) it resolves once the runtime has created
   * it and before its process runs, so no output is missed. The waiter is registered before the
   * state check, so a create happening meanwhile cannot slip past it.
   */
  attachStdio(id: string, signal: AbortSignal): Promise<AttachConnection> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      const list = this.pendingAttach.get(id) ?? [];
      list.push(waiter);
      this.pendingAttach.set(id, list);
      const drop = () => {
        const l = this.pendingAttach.get(id)?.filter((w) => w !== waiter) ?? [];
        if (l.length > 0) this.pendingAttach.set(id, l);
        else this.pendingAttach.delete(id);
      };
      signal.addEventListener('abort', () => {
        drop();
        reject(new Error('attach: client went away'));
      }, { once: true });
      void this.runtime.state(id).then((st) => {
        if (!st || st.status === 'stopped' || !this.pendingAttach.get(id)?.includes(waiter)) return;
        drop();
        this.runtime.attach(id).then(resolve, reject);
      }, reject);
    });
  }

  private async connectPending(id: string): Promise<void> {
    const waiters = this.pendingAttach.get(id) ?? [];
    this.pendingAttach.delete(id);
    for (const w of waiters) await this.runtime.attach(id).then(w.resolve, w.reject);
  }

  /** `POST /containers/{id}/resize`: a TTY container's console; a no-op without a TTY. */
  async resize(ref: string, height: number, width: number): Promise<void> {
    const r = await this.find(ref);
    checkConsoleSize(height, width);
    if (!r.state.running) throw new ConflictError(`Container ${r.id} is not running`);
    if (r.spec.tty) await this.runtime.resize(r.id, height, width);
  }

  logPath(id: string): string {
    return containerPaths(this.stateDir, id).log;
  }

  list(): ContainerRecord[] {
    return this.containers.listSync();
  }

  /** Manager events → /events; a container that died for good gives its network back. */
  private onManagerEvent(e: ContainerLifecycleEvent): void {
    const r = this.containers.getSync(e.id);
    const attrs: Record<string, string> = { name: e.name, ...(r?.spec.image ? { image: r.spec.image } : {}), ...(r?.spec.labels ?? {}) };
    if (e.exitCode !== undefined) attrs.exitCode = String(e.exitCode);
    Object.assign(attrs, e.attributes);
    this.events.publish(e.action, e.id, attrs, 'container');
    // the manager decides restarts; --rm containers are removed by it right after, only the network is ours to free
    if (e.action === 'die' && e.final && r) {
      if (r.spec.autoRemove && anonymousVolumes(r).length > 0) this.autoRemoveVolumes.set(e.id, anonymousVolumes(r));
      const free = r.spec.autoRemove ? this.net.tearDown(e.id) : this.release(e.id);
      void free.catch((err) => this.log.warn({ err, container: e.id }, 'release after exit'));
    }
    if (e.action === 'destroy') {
      void this.net.tearDown(e.id).catch((err) => this.log.warn({ err, container: e.id }, 'release network'));
      const anonymous = this.autoRemoveVolumes.get(e.id);
      this.autoRemoveVolumes.delete(e.id);
      if (anonymous) void this.removeVolumes(anonymous);
    }
  }

  attachEvent(id: string, name: string): void {
    this.events.publish('attach', id, { name }, 'container');
  }

  /** `POST /networks/{id}/connect` for a container; undefined when `ref` names no container. */
  async connectNetwork(networkTerm: string, ref: string, ec: EndpointConfig | undefined): Promise<boolean> {
    const r = await this.findOptional(ref);
    if (!r) return false;
    const n = this.networks.find(networkTerm);
    const links = resolveLinks((ec?.Links ?? []).map(parseLink), this.requestContext().findContainer);
    const a = attachment(n, ec ?? {}, { ipam: this.ipam }, links);
    await this.net.connect(r.id, networkTerm, a);
    return true;
  }

  async disconnectNetwork(networkTerm: string, ref: string): Promise<boolean> {
    const r = await this.findOptional(ref);
    if (!r) return false;
    await this.net.disconnect(r.id, networkTerm);
    return true;
  }

  private async findOptional(ref: string): Promise<ContainerRecord | undefined> {
    try {
      return await this.find(ref);
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  /** Daemon shutdown: containers keep running under their monitors. */
  detach(): void {
    this.manager.detach();
  }

  /**
   * Daemon start: re-adopt containers, record exits, apply restart policies. A container that is
   * not running holds no network, as after a stop; one whose stop or exit was recorded by a daemon
   * that died before releasing the network gives it back here.
   */
  async adopt(): Promise<ContainerRecord[]> {
    const records = await this.manager.adopt();
    for (const r of records) {
      if (r.state.running) {
        const aligned = await this.net.alignWithEndpoints(r.id).catch((err) => this.log.warn({ err, container: r.id }, 'align networks at start'));
        if (aligned) this.log.warn({ container: r.id }, "the container's recorded networks disagreed with its endpoints; now those it is connected to");
        continue;
      }
      if (r.state.status === 'restarting' || !this.net.isUp(r.id)) continue;
      await this.release(r.id).catch((err) => this.log.warn({ err, container: r.id }, 'release network at start'));
    }
    return records;
  }
}

function uniquePrefix(all: readonly ContainerRecord[], t: string): ContainerRecord {
  const m = t ? all.filter((x) => x.id.startsWith(t)) : [];
  if (m.length > 1) throw new InvalidParameterError(`multiple IDs found with provided prefix: ${t}`);
  if (m.length === 0) throw new NotFoundError(`No such container: ${t}`);
  return m[0];
}

/** Image env, then the request's; a key given again replaces the earlier value. */
function mergeEnv(base: readonly string[], over: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...over]) {
    if (typeof e !== 'string' || e === '') continue;
    const eq = e.indexOf('=');
    out.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...out.values()];
}
