import type { CreateVolumeDto, VolumeListResponse, VolumePruneResponse, VolumeResponse } from '@app/api';
import { randomBytes } from 'node:crypto';
import { DaemonError } from '../client/errors';
import type { Filters } from '../client/netd-api';
import { FakeNetworks } from './fake-networks';

const ANONYMOUS = 'com.docker.volume.anonymous';
const VALID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Volumes with the Engine API's rules the CLI depends on (netd's libs/volume): idempotent create,
 * `get NAME: no such volume`, in-use refusal, prune of anonymous volumes unless `all`.
 */
export class FakeVolumes extends FakeNetworks {
  readonly volumes: VolumeResponse[] = [];
  /** name → container ids using it (test setup). */
  readonly volumeUsers = new Map<string, string[]>();

  async createVolume(req: CreateVolumeDto): Promise<VolumeResponse> {
    this.requests.push({ method: 'createVolume', body: structuredClone(req) });
    const name = req.Name || randomBytes(32).toString('hex');
    if (!VALID.test(name)) {
      throw new DaemonError(400, `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    }
    const driver = req.Driver || 'local';
    if (driver !== 'local') throw new DaemonError(404, `create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const old = this.volumes.find((v) => v.Name === name);
    if (old) return structuredClone(old);
    const v: VolumeResponse = {
      CreatedAt: '2026-12-06T08:35:49Z', Driver: driver, Labels: req.Labels ?? null, Mountpoint: `/var/lib/netd/volumes/${name}/_data`, Name: name, Options: null, Scope: 'local',
    };
    this.volumes.push(v);
    return structuredClone(v);
  }

  async listVolumes(filters?: Filters): Promise<VolumeListResponse> {
    this.requests.push({ method: 'listVolumes', filters });
    return { Volumes: this.volumes.filter((v) => this.volumeMatches(v, filters)).map((v) => structuredClone(v)), Warnings: null };
  }

  async inspectVolumeWithRaw(name: string): Promise<{ volume: VolumeResponse; raw: string }> {
    this.requests.push({ method: 'inspectVolume', target: name });
    const volume = structuredClone(this.volume(name));
    return { volume, raw: JSON.stringify(volume) + '\n' };
  }

  async removeVolume(name: string, opts: { force?: boolean } = {}): Promise<void> {
    this.requests.push({ method: 'removeVolume', target: name, body: opts });
    const v = this.volumes.find((x) => x.Name === name);
    if (!v) {
      if (opts.force) return;
      throw new DaemonError(404, `get ${name}: no such volume`);
    }
    const users = this.volumeUsers.get(name) ?? [];
    if (users.length) throw new DaemonError(409, `remove ${name}: volume is in use - [${users.join(' ')}]`);
    this.volumes.splice(this.volumes.indexOf(v), 1);
  }

  async pruneVolumes(filters?: Filters): Promise<VolumePruneResponse> {
    this.requests.push({ method: 'pruneVolumes', filters });
    const all = (filters?.all ?? []).some((v) => ['1', 'true', 'True', 'TRUE', 't', 'T'].includes(v));
    const gone = this.volumes.filter(
      (v) => !(this.volumeUsers.get(v.Name) ?? []).length && (all || (v.Labels !== null && ANONYMOUS in v.Labels)) && labelsMatch(v.Labels, filters?.label) && !(filters?.['label!']?.length && labelsMatch(v.Labels, filters['label!'])),
    );
    for (const v of gone) this.volumes.splice(this.volumes.indexOf(v), 1);
    return { VolumesDeleted: gone.map((v) => v.Name), SpaceReclaimed: 0 };
  }

  private volume(name: string): VolumeResponse {
    const v = this.volumes.find((x) => x.Name === name);
    if (!v) throw new DaemonError(404, `get ${name}: no such volume`);
    return v;
  }

  private volumeMatches(v: VolumeResponse, filters: Filters | undefined): boolean {
    for (const [key, values] of Object.entries(filters ?? {})) {
      if (key === 'label') {
        if (!labelsMatch(v.Labels, values)) return false;
        continue;
      }
      const ok = values.some((x) => {
        if (key === 'name') return v.Name.includes(x);
        if (key === 'driver') return v.Driver === x;
        if (key === 'dangling') return ['true', '1'].includes(x) === !(this.volumeUsers.get(v.Name) ?? []).length;
        throw new DaemonError(400, `invalid filter '${key}'`);
      });
      if (!ok) return false;
    }
    return true;
  }
}

function labelsMatch(labels: Record<string, string> | null, terms: readonly string[] | undefined): boolean {
  if (!terms?.length) return true;
  return terms.every((t) => {
    const eq = t.indexOf('=');
    if (!labels) return false;
    return eq < 0 ? t in labels : labels[t.slice(0, eq)] === t.slice(eq + 1);
  });
}
