import type { ContainerRecord } from '@app/container';

/** Docker's MountPoint JSON (inspect and ps), keys in dockerd's order. */
export interface MountPointView {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export function mountsView(r: ContainerRecord): MountPointView[] {
  return (r.spec.mounts ?? []).filter((m) => !m.hidden).map((m) => ({
    Type: m.type,
    ...(m.name ? { Name: m.name } : {}),
    Source: m.source,
    Destination: m.destination,
    ...(m.driver ? { Driver: m.driver } : {}),
    Mode: m.mode,
    RW: m.rw,
    Propagation: m.propagation,
  }));
}

/** The storage fields of inspect's HostConfig, as dockerd shows them (null or absent when not given). */
export function hostConfigMounts(r: ContainerRecord): Record<string, unknown> {
  const e = r.spec.mountRequest ?? {};
  return {
    Binds: e.binds ? [...e.binds] : null,
    VolumeDriver: e.volumeDriver ?? '',
    VolumesFrom: e.volumesFrom ? [...e.volumesFrom] : null,
    ...(e.mounts ? { Mounts: [...e.mounts] } : {}),
    ...(e.tmpfs ? { Tmpfs: { ...e.tmpfs } } : {}),
  };
}

/** Config.Volumes: the image's and the request's, `{"/data": {}}`; null when none. */
export function configVolumes(r: ContainerRecord): Record<string, object> | null {
  const v = r.spec.mountRequest?.volumes;
  return v?.length ? Object.fromEntries(v.map((d) => [d, {}])) : null;
}
