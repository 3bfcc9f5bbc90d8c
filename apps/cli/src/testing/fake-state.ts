import { createHash } from 'node:crypto';
import type { PassThrough } from 'node:stream';
import { DaemonError } from '../client/errors';
import type { ContainerCreateRequest } from '../client/engine-types';
import type { Filters } from '../client/netd-api';
import { familiarString, parseReference } from '../commands/image/reference';
import type { FakeProgram } from './fake-programs';

export interface FakeImage {
  id: string;
  tags: string[];
  created: number;
  size: number;
  cmd: string[];
}

export interface FakeContainer {
  id: string;
  name: string;
  image: string;
  imageId: string;
  config: ContainerCreateRequest;
  created: number;
  status: 'created' | 'running' | 'exited';
  exitCode: number;
  startedAt?: number;
  finishedAt?: number;
  logs: Buffer[];
  attached: PassThrough[];
  stdin?: PassThrough;
  program?: FakeProgram;
  waiters: ((code: number) => void)[];
}

/**
 * What the fake daemon's nouns share: the recorded requests, images and containers (a container
 * names its image; an image in use cannot be removed), the clock and the lookups by id, name or
 * prefix. Each noun adds its verbs on top: FakeImages, FakeContainers, FakeContainerIo,
 * FakeNetworks, and FakeNetdClient (system) at the end of the chain.
 */
export class FakeDaemonState {
  readonly requests: { method: string; target?: string; body?: unknown; filters?: Filters }[] = [];
  readonly images: FakeImage[] = [];
  readonly containers: FakeContainer[] = [];
  get now(): number {
    return Date.now();
  }

  addImage(ref: string, opts: { id?: string; created?: number; size?: number; cmd?: string[] } = {}): FakeImage {
    const img: FakeImage = {
      id: opts.id ?? `sha256:${createHash('sha256').update(ref).digest('hex')}`,
      tags: [normalTag(ref)],
      created: opts.created ?? this.now - 3_600_000 * 24 * 3,
      size: opts.size ?? 4_261_550,
      cmd: opts.cmd ?? ['sh'],
    };
    this.images.push(img);
    return img;
  }

  /** Lets time pass: every recorded time moves `ms` into the past (ps's CREATED and STATUS). */
  advance(ms: number): void {
    for (const c of this.containers) {
      c.created -= ms;
      if (c.startedAt) c.startedAt -= ms;
      if (c.finishedAt) c.finishedAt -= ms;
    }
    for (const i of this.images) i.created -= ms;
  }

  protected image(name: string): FakeImage {
    const i = this.images.find((x) => x.id === name || x.id.slice(7).startsWith(name.replace(/^sha256:/, '')) || x.tags.includes(normalTag(name)));
    if (!i) throw new DaemonError(404, `No such image: ${name}`);
    return i;
  }

  protected container(id: string): FakeContainer {
    const c = this.containers.find((x) => x.id === id || x.name === id.replace(/^\//, '')) ?? (id ? this.containers.find((x) => x.id.startsWith(id)) : undefined);
    if (!c) throw new DaemonError(404, `No such container: ${id}`);
    return c;
  }
}

/** RepoTags as the daemon reports them: familiar form, tag defaulted (`busybox:latest`). */
export function normalTag(ref: string): string {
  const r = parseReference(ref);
  return familiarString(`${r.name}:${r.tag ?? 'latest'}`);
}

/** A finished stream of the given items (progress messages, log frames). */
export async function* list<T>(items: readonly T[]): AsyncIterable<T> {
  for (const i of items) yield i;
}
