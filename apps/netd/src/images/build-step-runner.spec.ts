import type { ContainerCreateRequest } from '@app/api/containers';
import { NotFoundError } from '@app/common';
import { containerPaths, type LogEntry } from '@app/container';
import { walkLayer, type RunStep } from '@app/image';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStepNetwork, ContainerBuildStepRunner, type BuildContainers } from './build-step-runner';

/** Containers that "run" by writing `files` into their upper dir and exiting with `exitCode`. */
class ScriptedContainers implements BuildContainers {
  readonly created: ContainerCreateRequest[] = [];
  readonly live = new Set<string>();
  failDeletesWithNotFound = 0;
  exitCode = 0;
  files: Record<string, string> = {};
  output = ['line one', 'line two'];
  private n = 0;

  constructor(private readonly stateDir: string) {}

  async create(_name: string | undefined, req: ContainerCreateRequest) {
    const id = String(++this.n).padStart(64, 'a');
    this.created.push(req);
    this.live.add(id);
    return { Id: id };
  }
  async start(id: string) {
    const upper = containerPaths(this.stateDir, id).upper;
    mkdirSync(upper, { recursive: true });
    for (const [path, text] of Object.entries(this.files)) {
      mkdirSync(join(upper, path, '..'), { recursive: true });
      writeFileSync(join(upper, path), text);
    }
    return true;
  }
  async wait() {
    return { statusCode: this.exitCode };
  }
  async logs(): Promise<AsyncIterable<LogEntry>> {
    const lines = this.output;
    return (async function* () {
      for (const text of lines) yield { time: '', stream: 'stdout' as const, text };
    })();
  }
  async delete(id: string) {
    if (this.failDeletesWithNotFound-- > 0) throw new NotFoundError(`No such container: ${id}`);
    this.live.delete(id);
  }
}

describe(ContainerBuildStepRunner.name, () => {
  let stateDir: string;
  let containers: ScriptedContainers;
  let runner: ContainerBuildStepRunner;
  const step = (over: Partial<RunStep> = {}): RunStep => ({
    lowerDirs: ['/l0'], image: 'sha256:' + 'c'.repeat(64), argv: ['/bin/sh', '-c', 'make'], env: ['A=1'], workdir: '/src', ...over,
  });
  const entries = async (diff: AsyncIterable<Uint8Array>) => {
    const names: string[] = [];
    await walkLayer(diff, async (h) => void names.push(h.name));
    return names;
  };

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'netd-steps-'));
    containers = new ScriptedContainers(stateDir);
    runner = new ContainerBuildStepRunner({ containers, stateDir });
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  describe('run', () => {
    it('runs the step as a container of the image so far and returns its upper dir as the layer', async () => {
      containers.files = { 'src/out.o': 'obj' };
      const lines: string[] = [];
      const res = await runner.run(step({ user: '1000', onOutput: (l) => lines.push(l) }));
      expect(containers.created[0]).toMatchObject({
        Image: step().image, Entrypoint: [], Cmd: ['/bin/sh', '-c', 'make'], Env: ['A=1'], WorkingDir: '/src', User: '1000',
        HostConfig: { NetworkMode: 'none' },
      });
      expect(await entries(res.diff)).toEqual(['src/', 'src/out.o']);
      expect(lines.join('')).toMatch(/^ ---> Running in a{12}\nline one\nline two\nRemoving intermediate container a{12}\n$/);
      expect(containers.live.size).toBe(0);
    });

    it("fails with Docker's message on a non-zero exit and still removes the container", async () => {
      containers.exitCode = 2;
      await expect(runner.run(step({ argv: ['/bin/sh', '-c', 'false'] }))).rejects.toMatchObject({
        kind: 'invalid-parameter', message: "The command '/bin/sh -c false' returned a non-zero code: 2",
      });
      expect(containers.live.size).toBe(0);
    });

    it('retries a removal that raced the release of the exited container', async () => {
      containers.failDeletesWithNotFound = 2;
      await runner.run(step());
      expect(containers.live.size).toBe(0);
    });
  });

  describe('buildStepNetwork', () => {
    it.each([
      { name: 'nothing given', given: undefined, expected: 'none' },
      { name: "the client's default", given: 'default', expected: 'none' },
      { name: 'bridge', given: 'bridge', expected: 'bridge' },
      { name: 'host', given: 'host', expected: 'host' },
      { name: 'a user network', given: 'n1', expected: 'n1' },
    ])('$name → $expected', ({ given, expected }) => {
      expect(buildStepNetwork(given)).toBe(expected);
    });
  });
});
