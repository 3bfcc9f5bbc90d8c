/** Docker's Volume object (`GET /volumes/{name}`, items of `GET /volumes`). */
export interface VolumeResponse {
  /** RFC 3339, seconds. */
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local' | 'global';
}

export interface VolumeListResponse {
  Volumes: VolumeResponse[];
  Warnings: string[] | null;
}

export interface VolumePruneResponse {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}
