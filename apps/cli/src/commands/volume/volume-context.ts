import type { VolumeResponse } from '@app/api';
import { goJson } from '../../output/go-json';
import type { MarshalsJson } from '../../output/go-template';

/** The row `volume ls --format` templates see (docker's volumeContext). */
export interface VolumeRow extends MarshalsJson {
  Name: string;
  Driver: string;
  Scope: string;
  Mountpoint: string;
  Labels: string;
  Links: string;
  Size: string;
  Group: string;
  Availability: string;
  Status: string;
  Label(name: string): string;
}

export const DEFAULT_VOLUME_TABLE = 'table {{.Driver}}\t{{.Name}}';

export const VOLUME_HEADER = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Group: 'GROUP',
  Availability: 'AVAILABILITY',
  Status: 'STATUS',
  Label: (name: string) => name,
};

/** Links and Size need usage data (`system df -v`), cluster fields a swarm: docker prints N/A then. */
export function volumeRow(v: VolumeResponse): VolumeRow {
  const labels = v.Labels ?? {};
  const fields = {
    Availability: 'N/A',
    Driver: v.Driver,
    Group: 'N/A',
    // docker joins a Go map here (random order); sorted keeps the output stable.
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Links: 'N/A',
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Scope: v.Scope,
    Size: 'N/A',
    Status: 'N/A',
  };
  return { ...fields, Label: (name: string) => labels[name] ?? '', marshalJson: () => goJson(fields) };
}
