import { ConflictError, InvalidParameterError, NotFoundError, NotImplementedError } from '@app/common';
import { LocalVolumeDriver } from './local-driver';
import { allFilter, filterVolumes, LIST_FILTERS, parseVolumeFilters, pruneCandidates, PRUNE_FILTERS, type VolumeFilters } from './volume-filters';
import { checkVolumeName, randomVolumeName } from './volume-name';
import type { VolumeRecord, VolumeStore } from './volume-store.port';

export interface VolumesOptions {
  store: VolumeStore;
  /** `<data-root>/volumes`. */
  root: string;
  /**
   * Containers using a volume that this lib was not told about through reference(): the daemon
   * answers from its container records. Consulted by remove, prune and the dangling filter.
   */
  usedBy?: (name: string) => readonly string[];
  /** Volume events for /events: `create`, `destroy` (attributes `{driver}`), as dockerd logs them. */
  onEvent?: (action: 'create' | 'destroy', name: string, attributes: Record<string, string>) => void;
  now?: () => Date;
}

export interface CreateVolumeRequest {
  /** Absent or empty: a random 64-hex name. */
  name?: string;
  /** Absent or empty: `local`. */
  driver?: string;
  labels?: Record<string, string> | null;
  options?: Record<string, string> | null;
}

/** A volume as the API shows it. */
export interface VolumeView extends VolumeRecord {
  readonly mountpoint: string;
}

export interface PruneReport {
  deleted: string[];
  /** Bytes, measured by walking each directory before it went. */
  reclaimed: number;
}

/** The local driver's option keys (mount options). netd does not mount filesystems into volumes yet. */
const LOCAL_OPTIONS = ['type', 'device', 'o', 'size'];

/** RFC 3339 with seconds, as dockerd prints CreatedAt. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Own-property copy, so keys like `__proto__` stay data and never reach a prototype. */
function copyMap(m: Record<string, string> | null | undefined): Record<string, string> | null {
  if (m === undefined || m === null) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Named volumes: metadata through the VolumeStore port, data under the local driver's root.
 * Mounting plugs in through mountpoint(), reference()/release() (dockerd's Get with a
 * reference) and the usedBy hook.
 */
export class Volumes {
  readonly driver: LocalVolumeDriver;
  private readonly refs = new Map<string, Set<string>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private pruning = false;

  constructor(private readonly opts: VolumesOptions) {
    this.driver = new LocalVolumeDriver(opts.root);
  }

  async create(req: CreateVolumeRequest): Promise<VolumeView> {
    const name = req.name || randomVolumeName();
    checkVolumeName(name);
    const driver = req.driver || 'local';
    if (driver !== 'local') throw new NotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const options = copyMap(req.options);
    const keys = Object.keys(options ?? {}).sort();
    const unknown = keys.find((k) => !LOCAL_OPTIONS.includes(k));
    if (unknown !== undefined) throw new InvalidParameterError(`create ${name}: invalid option key: ${JSON.stringify(unknown)}`);
    if (keys.length > 0) {
      throw new NotImplementedError(`create ${name}: local volume option ${JSON.stringify(keys[0])} is not supported by netd (it mounts no filesystems into volumes)`);
    }
    return this.locked(name, async () => {
      const existing = this.opts.store.get(name);
      if (!existing) await this.driver.create(name);
      const rec = existing ?? this.opts.store.putIfAbsent({
        name, driver, labels: copyMap(req.labels), options: keys.length ? options : null, createdAt: rfc3339(this.opts.now?.() ?? new Date()), scope: 'local',
      });
      this.opts.onEvent?.('create', name, { driver: rec.driver });
      return this.view(rec);
    });
  }

  /** NotFound `get NAME: no such volume`, dockerd's words. */
  get(name: string): VolumeView {
    const rec = this.opts.store.get(name);
    if (!rec) throw new NotFoundError(`get ${name}: no such volume`);
    return this.view(rec);
  }

  list(filtersText?: string): VolumeView[] {
    const filters = parseVolumeFilters(filtersText, LIST_FILTERS);
    return filterVolumes(this.opts.store.list(), filters, (n) => this.inUse(n)).map((r) => this.view(r));
  }

  /** The directory a container mounts; NotFound when there is no such volume. */
  mountpoint(name: string): string {
    return this.get(name).mountpoint;
  }

  /** Containers using the volume: those given to reference(), then those the usedBy hook knows. */
  usedBy(name: string): string[] {
    const ids = new Set(this.refs.get(name) ?? []);
    for (const id of this.opts.usedBy?.(name) ?? []) ids.add(id);
    return [...ids];
  }

  /** Record that `containerId` uses the volume (kept in memory; the usedBy hook covers restarts). */
  reference(name: string, containerId: string): VolumeView {
    const v = this.get(name);
    let set = this.refs.get(name);
    if (!set) this.refs.set(name, (set = new Set()));
    set.add(containerId);
    return v;
  }

  release(name: string, containerId: string): void {
    const set = this.refs.get(name);
    set?.delete(containerId);
    if (set?.size === 0) this.refs.delete(name);
  }

  /**
   * `DELETE /volumes/{name}`. In use → Conflict listing the containers (force does not override
   * that, as in dockerd). `force`: a missing volume is no error, and a directory that cannot be
   * removed does not keep the record.
   */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.locked(name, async () => {
      const rec = this.opts.store.get(name);
      if (!rec) {
        if (opts.force) return;
        throw new NotFoundError(`get ${name}: no such volume`);
      }
      const users = this.usedBy(name);
      if (users.length > 0) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(' ')}]`);
      try {
        await this.driver.remove(name);
      } catch (e) {
        if (!opts.force) throw e;
      }
      this.opts.store.delete(name);
      this.opts.onEvent?.('destroy', name, { driver: rec.driver });
    });
  }

  /**
   * `POST /volumes/prune`. `allByDefault` is API ≤ 1.41's rule (every unused volume; the `all`
   * filter does not exist there); from 1.42 only anonymous volumes go unless `all`.
   */
  async prune(filtersText: string | undefined, opts: { allByDefault: boolean }): Promise<PruneReport> {
    const allowed = opts.allByDefault ? PRUNE_FILTERS.filter((k) => k !== 'all') : PRUNE_FILTERS;
    let filters: VolumeFilters;
    try {
      filters = parseVolumeFilters(filtersText, allowed);
    } catch (e) {
      // dockerd 20.10 (API 1.41) words the unknown `all` filter with a capital I
      if (opts.allByDefault && e instanceof InvalidParameterError && e.message === "invalid filter 'all'") throw new InvalidParameterError("Invalid filter 'all'");
      throw e;
    }
    const all = opts.allByDefault || allFilter(filters);
    if (this.pruning) throw new ConflictError('a prune operation is already running');
    this.pruning = true;
    try {
      const report: PruneReport = { deleted: [], reclaimed: 0 };
      for (const v of pruneCandidates(this.opts.store.list(), filters, all, (n) => this.inUse(n))) {
        const size = await this.driver.size(v.name);
        try {
          await this.remove(v.name);
        } catch {
          continue; // became used, or could not be removed: prune skips it, as dockerd does
        }
        report.deleted.push(v.name);
        report.reclaimed += size;
      }
      return report;
    } finally {
      this.pruning = false;
    }
  }

  private inUse(name: string): boolean {
    return this.usedBy(name).length > 0;
  }

  private view(rec: VolumeRecord): VolumeView {
    return { ...rec, mountpoint: this.driver.mountpoint(rec.name) };
  }

  /** One operation at a time per name (create against remove of the same name). */
  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(name, tail);
    void tail.then(() => {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    });
    return next;
  }
}
