import type { ContainerCreateRequest } from '@app/api/containers';
import { InvalidParameterError, NotFoundError } from '@app/common';
import { Readable } from 'node:stream';
import { containerPaths, type LogEntry, type LogReadOptions, type WaitCondition } from '@app/container';
import { BuildStepRunner, packOverlayUpper, type RunResult, type RunStep } from '@app/image';

/** The container verbs a RUN step needs (ContainersService's, so steps get netd's networking). */
export interface BuildContainers {
  create(name: string | undefined, req: ContainerCreateRequest): Promise<{ Id: string }>;
  start(ref: string): Promise<boolean>;
  wait(ref: string, condition: WaitCondition): Promise<{ statusCode: number }>;
  logs(ref: string, opts: LogReadOptions): Promise<AsyncIterable<LogEntry>>;
  delete(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void>;
}

/**
 * The network of a RUN step. The docker client always sends `networkmode=default`, so `default`
 * (or nothing) means "not chosen" and netd runs the step with no network: a build's result then
 * depends only on its context and base image (the layer cache key has no way to see what a
 * download returned), and no build reaches out unless asked. `--network bridge|host|<name>`
 * opts in, as with Docker, whose own default is the default bridge.
 */
export function buildStepNetwork(requested: string | undefined): string {
  return !requested || requested === 'default' ? 'none' : requested;
}

/**
 * Runs each RUN step as a container of the container core (overlay of the image so far plus a
 * fresh upper dir, runc under conmon), streams its output, and turns the upper dir into the
 * step's layer. The container is removed whatever happens.
 */
export class ContainerBuildStepRunner extends BuildStepRunner {
  private readonly containers: BuildContainers;
  private readonly stateDir: string;

  constructor(deps: { containers: BuildContainers; stateDir: string }) {
    super();
    this.containers = deps.containers;
    this.stateDir = deps.stateDir;
  }

  async run(step: RunStep): Promise<RunResult> {
    const c = this.containers;
    const out = step.onOutput ?? (() => undefined);
    const { Id } = await c.create(undefined, {
      Image: step.image,
      // empty, not null: null would keep the image's entrypoint, as with dockerd
      Entrypoint: [],
      Cmd: [...step.argv],
      Env: [...step.env],
      WorkingDir: step.workdir,
      User: step.user ?? '',
      Labels: { 'com.netd.build.step': 'run' },
      HostConfig: { NetworkMode: buildStepNetwork(step.network) },
    } as ContainerCreateRequest);
    out(` ---> Running in ${Id.slice(0, 12)}\n`);
    try {
      const exited = c.wait(Id, 'next-exit');
      await c.start(Id);
      for await (const e of await c.logs(Id, { follow: true })) out(`${e.text}\n`);
      const { statusCode } = await exited;
      if (statusCode !== 0) {
        throw new InvalidParameterError(`The command '${step.argv.join(' ')}' returned a non-zero code: ${statusCode}`);
      }
      const layer = await packOverlayUpper(containerPaths(this.stateDir, Id).upper);
      return { diff: Readable.from([layer.gzip]) };
    } finally {
      out(`Removing intermediate container ${Id.slice(0, 12)}\n`);
      await removeStepContainer(c, Id).catch((e: unknown) => {
        out(`[Warning] could not remove intermediate container ${Id.slice(0, 12)}: ${e instanceof Error ? e.message : String(e)}\n`);
      });
    }
  }
}

/**
 * Remove a step's container. Its exit makes the container service release the runtime state in
 * the background; a delete racing that release sees the state vanish (NotFound from the runtime)
 * and is simply tried again once the state is gone.
 */
async function removeStepContainer(c: BuildContainers, id: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      // volumes: the anonymous ones an image VOLUME gave the step go with it, as with dockerd's builder
      return await c.delete(id, { force: true, volumes: true });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
}
