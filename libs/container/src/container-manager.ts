import { ConflictError, InvalidParameterError, NotFoundError, generateId, isNetdError, shortId } from '@app/common';
import { isMountPoint, mountLayersReadOnly, mountOverlay, unmountPath } from '@app/kernel/runc';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOciConfig, mergeResources, ociResources } from './bundle';
import type { CgroupMode } from './cgroups';
import { imageUserDb, rewriteNetworkFiles, writeBundle, type FilesContext } from './container-files';
import { ContainerStore, type ContainerRecord, type ContainerResources, type ContainerSpec, type NetworkFiles } from './container-record';
import { INITIAL_STATE, transition } from './container-state';
import { checkHostname } from './hosts-file';
import { containerPaths } from './layout';
import { canonicalName, generateName, nameConflict } from './names';
import { NO_RESTART, restartDelayMs, shouldRestart, type RestartPolicy } from './restart-policy';
import { Runtime, type RuntimeCreateSpec, type ExecResult, type ExecSession, type ExecSessionSpec, type ExecSpec, type LogEntry, type LogReadOptions } from './runtime.port';
import { readFileInRoot } from './in-root';
import { resolveUser, type ProcessUser } from './user';


/**
 * The network side of a container, which the daemon provides (its ContainerNetworking): made while
 * the runtime creates the container, undone when that fails.
 */
export interface ContainerNetworkPort {
  /** Bring the network up; `namespaceReady` is called once the namespace exists (runc needs only that). */
  setUp(id: string, namespaceReady: () => void): Promise<void>;
  tearDown(id: string): Promise<void>;
}

export interface ContainerManagerOptions extends FilesContext {
  readonly runtime: Runtime;
  /** The container's network, brought up on every start; none: containers get what their OCI config names. */
  readonly network?: ContainerNetworkPort;
  readonly store: ContainerStore;
  readonly stateDir: string;
  readonly cgroupMode: CgroupMode;
  /** Parent cgroup of all containers (default `/netd`). */
  readonly cgroupParent?: string;
  /** Lifecycle events for /events: create, start, die, stop, kill, restart, destroy. */
  readonly onEvent?: (event: ContainerLifecycleEvent) => void;
  readonly now?: () => Date;
}

export interface ContainerLifecycleEvent {
  readonly action: string;
  readonly id: string;
  readonly name: string;
  readonly exitCode?: number;
  /**
   * On `die`: no restart follows this exit (the restart policy, decided here and only here, says
   * so, or the container is being removed). The daemon frees the container's network then.
   */
  readonly final?: boolean;
  /** More attributes for the event (`oldName` on rename). */
  readonly attributes?: Record<string, string>;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/**
 * Container lifecycle on top of a {@link Runtime}: create writes the bundle and the record, start
 * creates the runtime container (conmon + runc) and runs it, an exit watcher records exits and
 * applies the restart policy. One operation at a time per container.
 */
export class ContainerManager {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly watchers = new Map<string, AbortController>();
  private readonly exitListeners = new Map<string, Set<(code: number) => void>>();
  private readonly removeListeners = new Map<string, Set<() => void>>();
  private readonly now: () => Date;
  private readonly createdHooks: Array<(id: string) => Promise<void>> = [];

  private readonly cgroupMode: CgroupMode;
  private readonly cgroupParent?: string;
  private readonly runtime: Runtime;
  private readonly network?: ContainerNetworkPort;
  private readonly stateDir: string;
  private readonly store: ContainerStore;

  /** hostResolvConf and hostGateway, read when a container's files are written (getters stay live). */
  private readonly files: FilesContext;
  private readonly eventListeners: Array<(event: ContainerLifecycleEvent) => void> = [];

  constructor(options: ContainerManagerOptions) {
    this.cgroupMode = options.cgroupMode;
    this.cgroupParent = options.cgroupParent;
    this.runtime = options.runtime;
    this.network = options.network;
    this.stateDir = options.stateDir;
    this.store = options.store;
    this.files = options;
    if (options.onEvent) this.eventListeners.push(options.onEvent);
    this.now = options.now ?? (() => new Date());
  }

  async create(spec: ContainerSpec): Promise<ContainerRecord> {
    const name = spec.name ? canonicalName(spec.name) : await this.freeName();
    const owner = await this.store.findByName(name);
    if (owner) throw nameConflict(name, owner.id);
    if (spec.lowers.length === 0) throw new InvalidParameterError('no image layers given');
    const id = generateId();
    const hostname = spec.hostname ? checkHostname(spec.hostname) : shortId(id);
    const record: ContainerRecord = {
      id, name, created: this.now().toISOString(), spec, hostname, state: INITIAL_STATE,
      restartCount: 0, manuallyStopped: false,
      networkFiles: { addresses: [], links: [], embeddedDns: spec.network.kind === 'netns' && !!spec.network.embeddedDns },
    };
    // Everything that can reject the input runs before the first write.
    const { passwd, group } = imageUserDb(spec.lowers);
    const paths = containerPaths(this.stateDir, id);
    const config = buildOciConfig({
      id, args: spec.cmd, env: spec.env ?? [], cwd: spec.workingDir, user: userAtCreate(spec.user, passwd, group),
      hostname, domainname: spec.domainname, terminal: spec.tty ?? false,
      network: spec.network.kind === 'host' ? 'host' : { netnsPath: spec.network.netnsPath },
      cgroup: { mode: this.cgroupMode, parent: this.cgroupParent ?? '/netd' },
      readonlyRootfs: spec.readonlyRootfs, capAdd: spec.capAdd, capDrop: spec.capDrop, sysctls: spec.sysctls,
      resources: spec.resources, pidHost: spec.pidHost, cgroupns: spec.cgroupns, shmSizeBytes: spec.shmSizeBytes,
      oomScoreAdj: spec.oomScoreAdj, consoleSize: spec.consoleSize, mounts: spec.mounts,
    }, paths);
    try {
      await writeBundle(paths, config, record, this.files);
      await this.store.put(record);
    } catch (e) {
      await rm(paths.dir, { recursive: true, force: true });
      throw e;
    }
    this.emit('create', record);
    return record;
  }

  /** Resolve a full id, a name (with or without `/`) or a unique id prefix. */
  async inspect(ref: string): Promise<ContainerRecord> {
    const st = this.store;
    const exact = (await st.get(ref)) ?? (ref.startsWith('/') ? await st.findByName(ref) : await st.findByName(`/${ref}`));
    if (exact) return exact;
    const byPrefix = ref.length > 0 ? await st.findByIdPrefix(ref, 2) : [];
    if (byPrefix.length > 1) throw new InvalidParameterError(`multiple IDs found with provided prefix: ${ref}`);
    if (byPrefix.length === 0) throw new NotFoundError(`No such container: ${ref}`);
    return byPrefix[0];
  }

  list(): Promise<ContainerRecord[]> {
    return this.store.list();
  }

  /** Start; false if it was already running (the API's 304). */
  start(ref: string): Promise<boolean> {
    return this.withLock(ref, async (r) => {
      if (r.state.running) return false;
      await this.run(r, { ...r, manuallyStopped: false, restartCount: 0 });
      return true;
    });
  }

  /** Send the stop signal, wait `timeoutSec` (default StopTimeout, else 10), then SIGKILL. False if not running. */
  stop(ref: string, opts: { signal?: string; timeoutSec?: number } = {}): Promise<boolean> {
    return this.withLock(ref, async (r) => {
      if (!r.state.running) return false;
      await this.store.put({ ...r, manuallyStopped: true });
      await this.terminate(r, opts.signal ?? r.spec.stopSignal ?? 'SIGTERM', opts.timeoutSec ?? r.spec.stopTimeout ?? 10);
      this.emit('stop', r);
      return true;
    });
  }

  /**
   * Send a signal. SIGKILL returns once the exit is recorded, as dockerd's kill does, so an
   * inspect, wait or remove right after sees the container exited; other signals return once sent.
   */
  kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    return this.withLock(ref, async (r) => {
      if (!r.state.running) throw new ConflictError(`Container ${r.id} is not running`);
      await this.store.put({ ...r, manuallyStopped: true });
      if (!isSigkill(signal)) {
        await this.runtime.kill(r.id, signal);
        this.emit('kill', r);
        return;
      }
      const ctl = new AbortController();
      const exited = this.runtime.waitExit(r.id, ctl.signal);
      exited.catch(() => undefined);
      try {
        await this.runtime.kill(r.id, signal);
        this.emit('kill', r);
        await this.thawAfterSignal(r);
        await exited;
        await this.settle(r.id);
      } finally {
        ctl.abort();
      }
    });
  }

  /** `between`: what the caller must do once the container stopped and before it starts again (the daemon frees its network). */
  async restart(ref: string, opts: { signal?: string; timeoutSec?: number } = {}, between?: (id: string) => Promise<void>): Promise<void> {
    const r = await this.inspect(ref);
    await this.stop(r.id, opts);
    await between?.(r.id);
    await this.start(r.id);
    this.emit('restart', await this.inspect(r.id));
  }

  /** Remove; a running container only with `force` (killed first). */
  delete(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.withLock(ref, async (r) => {
      if (r.state.running && !opts.force) {
        throw new ConflictError(`You cannot remove a running container ${r.id}. Stop the container before attempting removal or force remove`);
      }
      if (r.state.running) await this.terminate(r, 'SIGKILL', 0);
      await this.remove(r);
    });
  }

  /**
   * `docker rename`, with Docker's checks in Docker's order. `apply` runs under the container's
   * lock once the record holds the new name and before the `rename` event (what follows the
   * name elsewhere, such as the sandbox the embedded DNS reads, moves with it).
   */
  rename(ref: string, newName: string, apply?: (r: ContainerRecord) => void | Promise<void>): Promise<ContainerRecord> {
    if (!ref || !newName) return Promise.reject(new InvalidParameterError('Neither old nor new names may be empty'));
    return this.withLock(ref, async (r) => {
      const wanted = newName.startsWith('/') ? newName : `/${newName}`;
      if (wanted === r.name) throw new InvalidParameterError('Renaming a container with the same name as its current name');
      let name: string;
      try {
        name = canonicalName(newName);
      } catch (e) {
        throw new InvalidParameterError(`Error when allocating new name: ${(e as Error).message}`);
      }
      const owner = await this.store.findByName(name);
      if (owner) throw new ConflictError(`Error when allocating new name: ${nameConflict(name, owner.id).message}`);
      const next = { ...r, name };
      await this.store.put(next);
      try {
        await apply?.(next);
      } catch (e) {
        await this.store.put(r);
        throw e;
      }
      this.emit('rename', next, undefined, undefined, { oldName: r.name });
      return next;
    });
  }

  /** `docker pause`: freeze a running container (Docker's 409s for any other state). */
  pause(ref: string): Promise<void> {
    return this.withLock(ref, async (r) => {
      if (!r.state.running) throw new ConflictError(`Container ${r.id} is not running`);
      if (r.state.paused) throw new ConflictError(`Container ${r.id} is already paused`);
      if (r.state.restarting) throw new ConflictError(`Container ${r.id} is restarting, wait until the container is running`);
      await this.runtime.pause(r.id);
      await this.store.put({ ...r, state: transition(r.state, { type: 'pause' }) });
      this.emit('pause', r);
    });
  }

  /** `docker unpause`. */
  unpause(ref: string): Promise<void> {
    return this.withLock(ref, async (r) => {
      if (!r.state.paused) throw new ConflictError(`Container ${r.id} is not paused`);
      await this.runtime.resume(r.id);
      await this.store.put({ ...r, state: transition(r.state, { type: 'unpause' }) });
      this.emit('unpause', r);
    });
  }

  /**
   * `docker update`: new limits (and restart policy) for the record and the bundle, so the next
   * start has them; applied to the cgroup now when the container is live. Nothing changes when
   * the runtime refuses them.
   */
  update(ref: string, change: { resources?: ContainerResources; restartPolicy?: RestartPolicy }): Promise<ContainerRecord> {
    return this.withLock(ref, async (r) => {
      if (r.state.status === 'removing' || r.state.dead) throw new ConflictError(`Container ${r.id} is marked for removal and cannot be "update".`);
      const resources = { ...r.spec.resources, ...change.resources };
      const paths = containerPaths(this.stateDir, r.id);
      const before = await readFile(paths.config, 'utf8');
      const config = JSON.parse(before) as { linux?: { resources?: Record<string, unknown> } };
      const linux = config.linux ?? {};
      const next: ContainerRecord = { ...r, spec: { ...r.spec, resources, ...(change.restartPolicy ? { restartPolicy: change.restartPolicy } : {}) } };
      const live = change.resources && Object.keys(change.resources).length > 0 && (await this.runtime.state(r.id))?.status;
      if (live && live !== 'stopped') await this.runtime.update(r.id, change.resources!);
      if (change.resources) {
        await writeFile(`${paths.config}.new`, JSON.stringify({ ...config, linux: { ...linux, resources: mergeResources(linux.resources ?? {}, ociResources(change.resources)) } }));
        await rename(`${paths.config}.new`, paths.config);
      }
      await this.store.put(next);
      this.emit('update', next);
      return next;
    });
  }

  /**
   * Run `fn` with the container's root filesystem as a host path (`docker cp`): a running
   * container's through /proc/<pid>/root (its own mount namespace), a stopped one's overlay
   * mounted for the call, under the container's lock so that it cannot start meanwhile. `fn`
   * must be done with the root when it resolves.
   */
  async withRootFs<T>(ref: string, fn: (root: string, r: ContainerRecord) => Promise<T>, o: { write: boolean } = { write: false }): Promise<T> {
    const r = await this.inspect(ref);
    if (r.state.running && r.state.pid > 0) return fn(`/proc/${r.state.pid}/root`, r);
    return this.withLock(r.id, async (cur) => {
      if (cur.state.running && cur.state.pid > 0) return fn(`/proc/${cur.state.pid}/root`, cur);
      const p = containerPaths(this.stateDir, cur.id);
      // a read changes nothing on disk (a read-only view, no work dir); a write that fails takes
      // back the directories it made
      const made = (await Promise.all([p.upper, p.work].map((d) => (o.write ? mkdir(d, { recursive: true }) : undefined)))).filter((d) => d !== undefined);
      const mountPoint = o.write || existsSync(p.rootfs) ? p.rootfs : await mkdtemp(join(this.stateDir, '.cp-'));
      if (mountPoint === p.rootfs) await mkdir(p.rootfs, { recursive: true }).then((d) => d && made.push(d));
      const cleanUp = async (failed: boolean) => {
        if (mountPoint !== p.rootfs) await rm(mountPoint, { recursive: true, force: true });
        if (failed) for (const d of made.reverse()) await rm(d, { recursive: true, force: true });
      };
      if (isMountPoint(mountPoint) || (await this.runtime.state(cur.id))?.status === 'created') {
        await cleanUp(true);
        throw new ConflictError(`Container ${cur.id} is being started; try again`);
      }
      if (o.write) mountOverlay({ lowers: cur.spec.lowers, upper: p.upper, work: p.work }, mountPoint);
      else mountLayersReadOnly([...(existsSync(p.upper) ? [p.upper] : []), ...cur.spec.lowers], mountPoint);
      let failed = true;
      try {
        const out = await fn(mountPoint, cur);
        failed = false;
        return out;
      } finally {
        unmountPath(mountPoint);
        await cleanUp(failed);
      }
    });
  }

  /**
   * Change a record's fields that no lifecycle verb owns (health), under the container's lock;
   * `change` returns undefined to leave it as it is.
   */
  patch(ref: string, change: (r: ContainerRecord) => ContainerRecord | undefined): Promise<ContainerRecord> {
    return this.withLock(ref, async (r) => {
      const next = change(r);
      if (!next) return r;
      await this.store.put(next);
      return next;
    });
  }

  /** Docker's wait: the exit code of the next/current stop, or after removal. */
  /** `signal`: the client went away; its listeners go with it (a client looping wait-and-hang-up must not pile them up). */
  async wait(ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<{ statusCode: number }> {
    const r = await this.inspect(ref);
    if (condition === 'not-running' && !r.state.running) return { statusCode: r.state.exitCode };
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const unlisten: (() => void)[] = [];
      const done = (result: { statusCode: number }) => {
        signal?.removeEventListener('abort', abort);
        for (const u of unlisten) u();
        resolve(result);
      };
      const abort = () => {
        for (const u of unlisten) u();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      if (condition === 'removed') {
        let code = r.state.exitCode;
        unlisten.push(listen(this.exitListeners, r.id, (c) => (code = c)));
        unlisten.push(listen(this.removeListeners, r.id, () => done({ statusCode: code })));
      } else {
        unlisten.push(listen(this.exitListeners, r.id, (c) => done({ statusCode: c })));
      }
    });
  }

  /** Listeners of waits in progress, over every container. */
  get waiting(): number {
    let n = 0;
    for (const m of [this.exitListeners, this.removeListeners]) for (const set of m.values()) n += set.size;
    return n;
  }

  async logs(ref: string, opts: LogReadOptions = {}): Promise<AsyncIterable<LogEntry>> {
    const r = await this.inspect(ref);
    return this.runtime.logs(r.id, opts);
  }

  async exec(ref: string, spec: ExecSpec): Promise<ExecResult> {
    const r = await this.inspect(ref);
    requireExecutable(r);
    return this.runtime.exec(r.id, spec);
  }

  /**
   * `docker exec -u`: the user resolved against the running container's own /etc/passwd and
   * /etc/group as they are now (not the image's), read inside its root.
   */
  async execUser(ref: string, user: string): Promise<ProcessUser> {
    const r = await this.inspect(ref);
    if (!r.state.running || r.state.pid <= 0) throw new ConflictError(`Container ${r.id} is not running`);
    const root = `/proc/${r.state.pid}/root`;
    const [passwd, group] = await Promise.all([readFileInRoot(root, '/etc/passwd'), readFileInRoot(root, '/etc/group')]);
    return resolveUser(user, passwd ?? '', group ?? '');
  }

  /** A connected exec (`docker exec` with streams); it runs once the session's `start()` is called. */
  async execSession(ref: string, spec: ExecSessionSpec): Promise<ExecSession> {
    const r = await this.inspect(ref);
    requireExecutable(r);
    return this.runtime.execSession(r.id, spec);
  }

  /** Replace the network-dependent parts of hosts/resolv.conf (connect, disconnect, links). */
  updateNetworkFiles(ref: string, change: Partial<NetworkFiles>): Promise<ContainerRecord> {
    return this.withLock(ref, async (r) => {
      const next = { ...r, networkFiles: { ...r.networkFiles, ...change } };
      await rewriteNetworkFiles(containerPaths(this.stateDir, r.id), next, this.files);
      await this.store.put(next);
      return next;
    });
  }

  /**
   * After a daemon start: re-attach to containers still running, record exits that happened
   * meanwhile, then apply restart policies as Docker does at daemon start.
   */
  async adopt(): Promise<ContainerRecord[]> {
    const records = await this.store.list();
    const found = new Map((await this.runtime.adopt(records.map((r) => r.id))).map((a) => [a.id, a]));
    for (const r of records) {
      const a = found.get(r.id);
      if (!a) continue;
      let next = r;
      if (a.status === 'running' || a.status === 'paused') {
        if (!r.state.running) next = { ...r, state: transition(r.state, { type: 'start', pid: a.pid, at: this.now() }) };
        else if (r.state.pid !== a.pid) next = { ...r, state: { ...r.state, pid: a.pid } };
        if ((a.status === 'paused') !== next.state.paused) next = { ...next, state: transition(next.state, { type: a.status === 'paused' ? 'pause' : 'unpause' }) };
        if (next !== r) await this.store.put(next);
        this.watch(next.id);
        continue;
      }
      let restarts: boolean;
      if (r.state.running || r.state.status === 'restarting') {
        ({ record: next, restarts } = await this.recordExit(r, a.exit?.exitCode ?? 255, a.exit?.finishedAt ?? this.now(), true));
      } else {
        restarts = this.restartsAfterExit(next, true);
      }
      if (restarts) await this.withLock(next.id, (cur) => this.run(cur, cur)).catch(() => undefined);
    }
    return this.store.list();
  }

  /**
   * Run `hook` each time the runtime has created a container, before its process starts: an
   * attach made before `start` connects there and so sees all of the output. A failing hook
   * does not stop the start.
   */
  onCreated(hook: (id: string) => Promise<void>): void {
    this.createdHooks.push(hook);
  }

  /**
   * Also send lifecycle events to `listener`. The daemon's containers service subscribes when it is
   * built on this manager, so the manager is built first and knows nothing of its user.
   */
  onLifecycleEvent(listener: (event: ContainerLifecycleEvent) => void): void {
    this.eventListeners.push(listener);
  }

  /** Stop watching exits (daemon shutdown): containers keep running under their monitors. */
  detach(): void {
    for (const c of this.watchers.values()) c.abort();
    this.watchers.clear();
  }

  // ---- internals ------------------------------------------------------------------------

  /** A generated name nobody holds; names are checked one by one instead of listing all records. */
  private async freeName(): Promise<string> {
    const tried = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const candidate = generateName((n) => tried.has(n));
      tried.add(candidate);
      if (!(await this.store.findByName(candidate))) return candidate;
    }
    return `/${generateId().slice(0, 12)}`;
  }

  private async run(r: ContainerRecord, base: ContainerRecord): Promise<void> {
    const rt = this.runtime;
    if (await rt.state(r.id)) await rt.delete(r.id, { force: true });
    try {
      // dockerd resolves the user when it starts the container: a create with an unknown one succeeds
      const { passwd, group } = imageUserDb(r.spec.lowers);
      resolveUser(r.spec.user, passwd, group);
      const { pid } = await this.createWithNetwork({ id: r.id, lowers: r.spec.lowers, terminal: r.spec.tty ?? false, stdin: r.spec.openStdin, stdinOnce: r.spec.stdinOnce, name: r.name.slice(1) });
      for (const hook of this.createdHooks) await hook(r.id).catch(() => undefined);
      await rt.start(r.id);
      await this.store.put({ ...base, state: transition(base.state, { type: 'start', pid, at: this.now() }) });
    } catch (e) {
      await rt.delete(r.id, { force: true }).catch(() => undefined);
      const message = e instanceof Error ? e.message : String(e);
      await this.store.put({ ...base, state: transition(base.state, { type: 'start-failed', error: message }) });
      throw e;
    }
    this.watch(r.id);
    this.emit('start', r);
  }

  /**
   * The runtime create, with the container's network brought up meanwhile. Every path to a running
   * process comes here (start, restart policies, restarts at daemon start), so none of them can
   * start a container without its namespace and endpoints. runc create opens the namespace but
   * runs nothing in it until start, so interfaces, addresses, DNS and /etc files are made while
   * runc and conmon work (one spawn chain of ~50 ms) instead of before them. Both must succeed; a
   * failure of either undoes both.
   */
  private async createWithNetwork(spec: RuntimeCreateSpec): Promise<{ pid: number }> {
    const network = this.network;
    if (!network) return this.runtime.create(spec);
    let namespaceReady!: () => void;
    const ready = new Promise<void>((r) => (namespaceReady = r));
    const settingUp = network.setUp(spec.id, namespaceReady);
    settingUp.catch(() => undefined);
    try {
      await Promise.race([ready, settingUp]);
    } catch (e) {
      await network.tearDown(spec.id).catch(() => undefined);
      throw e;
    }
    const created = this.runtime.create(spec);
    const [net, rt] = await Promise.allSettled([settingUp, created]);
    if (net.status === 'fulfilled' && rt.status === 'fulfilled') return rt.value;
    if (rt.status === 'fulfilled') await this.runtime.delete(spec.id, { force: true }).catch(() => undefined);
    await network.tearDown(spec.id).catch(() => undefined);
    // A failed setUp tears the namespace down while runc may still be opening it, so a runtime
    // error then is the network's consequence (a missing namespace path), not the cause to report.
    throw net.status === 'rejected' ? net.reason : (rt as PromiseRejectedResult).reason;
  }

  private async terminate(r: ContainerRecord, signal: string, timeoutSec: number): Promise<void> {
    const rt = this.runtime;
    const ctl = new AbortController();
    const exited = rt.waitExit(r.id, ctl.signal);
    exited.catch(() => undefined);
    const ignoreNotRunning = (e: unknown) => {
      if (!isNetdError(e) || e.kind !== 'conflict') throw e;
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!isSigkill(signal)) {
        await rt.kill(r.id, signal).catch(ignoreNotRunning);
        await this.thawAfterSignal(r);
        const timeout = new Promise<'timeout'>((res) => (timer = setTimeout(res, Math.max(0, timeoutSec) * 1000, 'timeout')));
        if ((await Promise.race([exited, timeout])) !== 'timeout') return await this.settle(r.id);
      }
      await rt.kill(r.id, 'SIGKILL').catch(ignoreNotRunning);
      await this.thawAfterSignal(r);
      await exited;
      await this.settle(r.id);
    } finally {
      clearTimeout(timer);
      ctl.abort();
    }
  }

  /**
   * A frozen process takes a signal only once thawed (the v1 freezer holds even SIGKILL), so a
   * stop or kill of a paused container resumes it right after sending, as dockerd does.
   */
  private async thawAfterSignal(r: ContainerRecord): Promise<void> {
    if (!r.state.paused) return;
    await this.runtime.resume(r.id).catch(() => undefined);
  }

  /** Record an exit now rather than when the watcher gets to it, so callers see `exited`. */
  private async settle(id: string): Promise<void> {
    const r = await this.store.get(id);
    const exit = await this.runtime.readExit(id);
    if (r && exit && r.state.running) await this.recordExit(r, exit.exitCode, exit.finishedAt, false);
  }

  private watch(id: string): void {
    this.watchers.get(id)?.abort();
    const ctl = new AbortController();
    this.watchers.set(id, ctl);
    this.runtime.waitExit(id, ctl.signal).then(
      (exit) => this.withLock(id, async (r) => {
        if (this.watchers.get(id) === ctl) this.watchers.delete(id);
        // an exit already recorded (stop, kill) was decided when it was recorded, on this same record
        const restarts = r.state.running ? (await this.recordExit(r, exit.exitCode, exit.finishedAt, false)).restarts : this.restartsAfterExit(r, false);
        await this.afterExit(id, restarts);
      }),
      () => undefined,
    ).catch(() => undefined);
  }

  /**
   * Record an exit, decide whether the container restarts, and announce both once: the `die` event
   * (final when no restart follows) and the exit code to `wait`.
   */
  private async recordExit(r: ContainerRecord, exitCode: number, at: Date, daemonStarting: boolean): Promise<{ record: ContainerRecord; restarts: boolean }> {
    const record = { ...r, state: transition(r.state, { type: 'exit', exitCode, at }) };
    await this.store.put(record);
    const restarts = this.restartsAfterExit(record, daemonStarting);
    this.emit('die', r, exitCode, !restarts);
    for (const l of this.exitListeners.get(r.id) ?? []) l(exitCode);
    this.exitListeners.delete(r.id);
    return { record, restarts };
  }

  /** The restart decision (moby's rules) for a container whose exit is recorded; the only one in netd. */
  private restartsAfterExit(r: ContainerRecord, daemonStarting: boolean): boolean {
    if (r.state.running || r.state.status !== 'exited') return false;
    const policy = r.spec.restartPolicy ?? NO_RESTART;
    return shouldRestart(policy, { exitCode: r.state.exitCode, restartCount: r.restartCount, manuallyStopped: r.manuallyStopped, daemonStarting });
  }

  private async afterExit(id: string, restarts: boolean): Promise<void> {
    const r = await this.store.get(id);
    if (!r || r.state.status !== 'exited') return;
    if (restarts) {
      const next = { ...r, restartCount: r.restartCount + 1, state: transition(r.state, { type: 'restarting' }) };
      await this.store.put(next);
      setTimeout(() => {
        void this.withLock(id, (cur) => (cur.state.status === 'restarting' ? this.run(cur, cur) : Promise.resolve())).catch(() => undefined);
      }, restartDelayMs(r.restartCount)).unref();
    } else if (r.spec.autoRemove) {
      await this.remove(r);
    }
  }

  private async remove(r: ContainerRecord): Promise<void> {
    this.watchers.get(r.id)?.abort();
    this.watchers.delete(r.id);
    // the daemon's cleanup of an exited container may delete the runtime state meanwhile
    if (await this.runtime.state(r.id)) {
      await this.runtime.delete(r.id, { force: true }).catch((e: unknown) => {
        if (!isNetdError(e) || e.kind !== 'not-found') throw e;
      });
    }
    await rm(containerPaths(this.stateDir, r.id).dir, { recursive: true, force: true });
    await this.store.delete(r.id);
    this.emit('destroy', r);
    for (const l of this.removeListeners.get(r.id) ?? []) l();
    this.removeListeners.delete(r.id);
  }

  private async withLock<T>(ref: string, fn: (r: ContainerRecord) => Promise<T>): Promise<T> {
    const id = (await this.inspect(ref)).id;
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(async () => {
      const r = await this.store.get(id);
      if (!r) throw new NotFoundError(`No such container: ${ref}`);
      return fn(r);
    });
    this.locks.set(id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === next) this.locks.delete(id);
    }
  }

  private emit(action: string, r: ContainerRecord, exitCode?: number, final?: boolean, attributes?: Record<string, string>): void {
    const event = {
      action, id: r.id, name: r.name.slice(1), ...(exitCode !== undefined ? { exitCode } : {}), ...(final !== undefined ? { final } : {}), ...(attributes ? { attributes } : {}),
    };
    for (const listener of this.eventListeners) listener(event);
  }
}

function listen<T extends (...a: never[]) => void>(map: Map<string, Set<T>>, id: string, fn: T): () => void {
  let set = map.get(id);
  if (!set) map.set(id, (set = new Set()));
  set.add(fn);
  return () => {
    const now = map.get(id);
    if (!now?.delete(fn)) return;
    if (now.size === 0) map.delete(id);
  };
}

/** Docker's checks before an exec (moby getActiveContainer). */
function requireExecutable(r: ContainerRecord): void {
  if (!r.state.running) throw new ConflictError(`Container ${r.id} is not running`);
  if (r.state.paused) throw new ConflictError(`Container ${r.id} is paused, unpause the container before exec`);
  if (r.state.restarting) throw new ConflictError(`Container ${r.id} is restarting, wait until the container is running`);
}

const isSigkill = (signal: string) => signal === 'SIGKILL' || signal === 'KILL' || signal === '9';

/**
 * The user the bundle names. One the image cannot resolve does not fail the create (dockerd
 * checks it at start, where `run` refuses it before any process exists), so the bundle gets root
 * as a placeholder that never runs.
 */
function userAtCreate(user: string | undefined, passwd: string, group: string): ProcessUser {
  try {
    return resolveUser(user, passwd, group);
  } catch (e) {
    if (e instanceof InvalidParameterError) return { uid: 0, gid: 0 };
    throw e;
  }
}
