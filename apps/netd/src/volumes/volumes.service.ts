import type { VolumeListResponse, VolumePruneResponse, VolumeResponse } from '@app/api';
import { Volumes, type CreateVolumeRequest, type VolumeView } from '@app/volume';

/** Docker's Volume JSON, keys in dockerd's order. */
export function toDockerVolume(v: VolumeView): VolumeResponse {
  return { CreatedAt: v.createdAt, Driver: v.driver, Labels: v.labels, Mountpoint: v.mountpoint, Name: v.name, Options: v.options, Scope: v.scope };
}

/** The Engine API's volume verbs over libs/volume (built in composition-root.ts, events wired there). */
export class VolumesService {
  constructor(readonly volumes: Volumes) {}

  async create(req: CreateVolumeRequest): Promise<VolumeResponse> {
    return toDockerVolume(await this.volumes.create(req));
  }

  inspect(name: string): VolumeResponse {
    return toDockerVolume(this.volumes.get(name));
  }

  list(filters?: string): VolumeListResponse {
    return { Volumes: this.volumes.list(filters).map(toDockerVolume), Warnings: null };
  }

  remove(name: string, force: boolean): Promise<void> {
    return this.volumes.remove(name, { force });
  }

  /** `allByDefault`: the request's API version is below 1.42. */
  async prune(filters: string | undefined, allByDefault: boolean): Promise<VolumePruneResponse> {
    const r = await this.volumes.prune(filters, { allByDefault });
    return { VolumesDeleted: r.deleted, SpaceReclaimed: r.reclaimed };
  }
}
