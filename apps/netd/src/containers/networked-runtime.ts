import {
  Runtime, type AdoptedContainer, type AttachConnection, type ExecResult, type ExecSession, type ExecSessionSpec, type ExecSpec, type ExitStatus, type LogEntry, type LogReadOptions,
  type RuntimeCreateSpec, type RuntimeState,
} from '@app/container';

/**
 * The runtime ContainerManager drives, with the container's network brought up while the
 * runtime creates it. Every path to a running process goes through `create` (start, restart
 * policies, restarts at daemon start), so none of them can start a container without its
 * namespace and endpoints; a failed create tears the network down again.
 */
export class NetworkedRuntime extends Runtime {
  constructor(
    private readonly inner: Runtime,
    private readonly hooks: {
      /** Bring the network up; `namespaceReady` is called once the namespace exists (runc needs only that). */
      setUp(id: string, namespaceReady: () => void): Promise<void>;
      tearDown(id: string): Promise<void>;
    },
  ) {
    super();
  }

  /**
   * runc create opens the namespace but runs nothing in it until start, so interfaces,
   * addresses, DNS and /etc files are made while runc and conmon work (one spawn chain of
   * ~50 ms) instead of before them. Both must succeed before `create` resolves.
   */
  async create(spec: RuntimeCreateSpec): Promise<{ pid: number }> {
    let namespaceReady!: () => void;
    const ready = new Promise<void>((r) => (namespaceReady = r));
    const network = this.hooks.setUp(spec.id, namespaceReady);
    network.catch(() => undefined);
    try {
      await Promise.race([ready, network]);
    } catch (e) {
      await this.hooks.tearDown(spec.id).catch(() => undefined);
      throw e;
    }
    const created = this.inner.create(spec);
    const [net, rt] = await Promise.allSettled([network, created]);
    if (net.status === 'fulfilled' && rt.status === 'fulfilled') return rt.value;
    if (rt.status === 'fulfilled') await this.inner.delete(spec.id, { force: true }).catch(() => undefined);
    await this.hooks.tearDown(spec.id).catch(() => undefined);
    throw rt.status === 'rejected' ? rt.reason : (net as PromiseRejectedResult).reason;
  }

  start(id: string): Promise<void> {
    return this.inner.start(id);
  }
  kill(id: string, signal: string | number): Promise<void> {
    return this.inner.kill(id, signal);
  }
  delete(id: string, opts?: { force?: boolean }): Promise<void> {
    return this.inner.delete(id, opts);
  }
  state(id: string): Promise<RuntimeState | undefined> {
    return this.inner.state(id);
  }
  list(): Promise<RuntimeState[]> {
    return this.inner.list();
  }
  exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    return this.inner.exec(id, spec);
  }
  execSession(id: string, spec: ExecSessionSpec): Promise<ExecSession> {
    return this.inner.execSession(id, spec);
  }
  readExit(id: string): Promise<ExitStatus | undefined> {
    return this.inner.readExit(id);
  }
  waitExit(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    return this.inner.waitExit(id, signal);
  }
  logs(id: string, opts?: LogReadOptions): AsyncIterable<LogEntry> {
    return this.inner.logs(id, opts);
  }
  adopt(ids: readonly string[]): Promise<AdoptedContainer[]> {
    return this.inner.adopt(ids);
  }
  attach(id: string): Promise<AttachConnection> {
    return this.inner.attach(id);
  }
  resize(id: string, height: number, width: number): Promise<void> {
    return this.inner.resize(id, height, width);
  }
}
