import { ConflictError, InvalidParameterError, matchAllLabels, matchLabel } from '@app/common';
import { containerPaths, detectHostLimits, type ContainerManager, type ContainerRecord, type HostLimits, type Runtime as ContainerRuntime } from '@app/container';
import { hostPs } from '@app/kernel';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventsService } from '../events/events.service';
import { parseFilters } from '../networks/network-lookup';
import { parseUntil } from '../networks/networks.service';
import type { SqliteContainerStore } from '../store/sqlite-container-store';
import type { StateStore } from '../store/state-store';
import type { ContainersService } from './containers.service';
import { parsePsOutput, type TopBody } from './top';
import { parseUpdate } from './update-options';

export interface ContainerOpsDeps {
  manager: ContainerManager;
  /** The runtime under the networking wrapper (pids for top). */
  runtime: ContainerRuntime;
  containers: SqliteContainerStore;
  store: StateStore;
  events: EventsService;
  /** Removal with the network teardown (prune). */
  svc: ContainersService;
  stateDir: string;
  hostLimits?: HostLimits;
}

/** rename, pause/unpause, update, top and prune: the container verbs beyond the lifecycle. */
export class ContainerOps {
  constructor(private readonly d: ContainerOpsDeps) {}

  /** The sandbox, which the embedded DNS names the container by, is renamed with the record. */
  async rename(ref: string, name: string): Promise<void> {
    await this.d.manager.rename(ref, name, (r) => {
      const short = r.name.slice(1);
      const other = this.d.store.sandboxByName(short);
      if (other && other.id !== r.id) throw new ConflictError(`Error when allocating new name: sandbox ${short} already exists`);
      if (this.d.store.sandboxById(r.id)) this.d.store.renameSandbox(r.id, short);
    });
  }

  find(ref: string): Promise<ContainerRecord> {
    return this.d.manager.inspect(ref);
  }

  pause(ref: string): Promise<void> {
    return this.d.manager.pause(ref);
  }

  unpause(ref: string): Promise<void> {
    return this.d.manager.unpause(ref);
  }

  async update(ref: string, body: unknown): Promise<{ Warnings: string[] }> {
    const r = await this.d.manager.inspect(ref);
    const change = parseUpdate(body, r, (this.limits ??= this.d.hostLimits ?? detectHostLimits()));
    await this.d.manager.update(r.id, change);
    return { Warnings: [] };
  }

  private limits?: HostLimits;

  /** `docker top`: the host's `ps` with `psArgs`, keeping the lines of the container's pids. */
  async top(ref: string, psArgs: string | undefined): Promise<TopBody> {
    const args = psArgs || '-ef';
    checkPsArgs(args);
    const r = await this.d.manager.inspect(ref);
    if (!r.state.running) throw new ConflictError(`Container ${r.id} is not running`);
    if (r.state.restarting) throw new ConflictError(`Container ${r.id} is restarting, wait until the container is running`);
    const pids = await this.d.runtime.pids(r.id);
    return parsePsOutput(await hostPs(args.split(' '), pids), pids);
  }

  /** `POST /containers/prune`: every container not running, through the same removal as `rm`. */
  async prune(filtersText: string | undefined): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const f = parseFilters(filtersText, ['until', 'label', 'label!']);
    const until = f.until?.length ? parseUntil(f.until[0]) : undefined;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const r of this.d.containers.listSync()) {
      if (!prunable(r)) continue;
      if (until !== undefined && Date.parse(r.created) >= until) continue;
      const labels = r.spec.labels ?? {};
      if (!matchAllLabels(labels, f.label)) continue;
      if ((f['label!'] ?? []).some((l) => matchLabel(labels, l))) continue;
      const size = await treeSize(containerPaths(this.d.stateDir, r.id).upper);
      try {
        await this.d.svc.delete(r.id, {});
      } catch (e) {
        // started or removed meanwhile: it is not this prune's to remove
        if ((e as { kind?: string }).kind === 'conflict' || (e as { kind?: string }).kind === 'not-found') continue;
        throw e;
      }
      deleted.push(r.id);
      reclaimed += size;
    }
    this.d.events.publish('prune', '', { reclaimed: String(reclaimed) }, 'container');
    return { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }
}

const prunable = (r: ContainerRecord) => !r.state.running && !r.state.restarting && r.state.status !== 'removing';

/** moby validatePSArgs: a `-o` format may rename only the pid column to something else. */
function checkPsArgs(args: string): void {
  // a NUL cannot be passed to exec, and no ps option needs a control character
  if (args.length > 1024 || [...args].some((c) => c.charCodeAt(0) < 0x20)) throw new InvalidParameterError('invalid ps_args');
  for (const m of args.matchAll(/\s+([^\s]*)=\s*(PID[^\s]*)/g)) {
    if (m[1] !== 'pid') throw new InvalidParameterError(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

/** Bytes of the regular files under `dir` (the container's writable layer), never following links. */
async function treeSize(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await treeSize(p);
    else if (e.isFile()) total += (await lstat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
