import {
  Runtime, type AdoptedContainer, type AttachConnection, type ExecResult, type ExecSpec, type ExitStatus, type LogEntry, type LogReadOptions,
  type RuntimeCreateSpec, type RuntimeState,
} from '@app/container';

/**
 * The runtime ContainerManager drives, with the container's network brought up right before the
 * runtime creates it. Every path to a running process goes through `create` (start, restart
 * policies, restarts at daemon start), so none of them can start a container without its
 * namespace and endpoints; a failed create tears the network down again.
 */
export class NetworkedRuntime extends Runtime {
  constructor(
    private readonly inner: Runtime,
    private readonly hooks: { setUp(id: string): Promise<void>; tearDown(id: string): Promise<void> },
  ) {
    super();
  }

  async create(spec: RuntimeCreateSpec): Promise<{ pid: number }> {
    await this.hooks.setUp(spec.id);
    try {
      return await this.inner.create(spec);
    } catch (e) {
      await this.hooks.tearDown(spec.id).catch(() => undefined);
      throw e;
    }
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
