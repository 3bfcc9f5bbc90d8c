import type { ContainerSummary, Port } from '../../client/engine-types';
import { goJson } from '../../output/go-json';
import type { MarshalsJson } from '../../output/go-template';
import { ellipsis, goQuote, humanDuration, humanSize, truncateId } from '../../output/go-units';
import { familiarString } from '../image/reference';

/** The row `ps --format` templates see (docker's ContainerContext). */
export interface ContainerRow extends MarshalsJson {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Ports: string;
  State: string;
  Status: string;
  Size: string;
  Names: string;
  Labels: string;
  Mounts: string;
  Networks: string;
  LocalVolumes: string;
  Label(name: string): string;
}

export const DEFAULT_PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const PS_HEADER = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
  Label: (name: string) => name,
};

export function containerRow(c: ContainerSummary, trunc: boolean, now: number): ContainerRow {
  const labels = c.Labels ?? {};
  const names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  const shown = trunc ? [names.find((n) => !n.includes('/')) ?? names[0] ?? ''] : names;
  const fields = {
    Command: goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goUnixTime(c.Created),
    ID: trunc ? truncateId(c.Id) : c.Id,
    Image: imageName(c, trunc),
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => !m.Source).length),
    Mounts: (c.Mounts ?? []).map((m) => (trunc ? ellipsis(m.Name || m.Source || '', 15) : m.Name || m.Source || '')).join(','),
    Names: shown.join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    Ports: displayablePorts(c.Ports ?? []),
    RunningFor: `${humanDuration(now - c.Created * 1000)} ago`,
    Size: c.SizeRw !== undefined ? humanSize(c.SizeRw) : '0B',
    State: c.State,
    Status: c.Status,
  };
  return { ...fields, Label: (name: string) => labels[name] ?? '', marshalJson: () => goJson(fields) };
}

function imageName(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return '<no image>';
  if (!trunc) return c.Image;
  if (c.ImageID && truncateId(c.ImageID) === truncateId(c.Image)) return truncateId(c.Image);
  try {
    return familiarString(c.Image.replace(/@.*$/, ''));
  } catch {
    return c.Image;
  }
}

/** Go's `time.Unix(s, 0).String()` in UTC. */
function goUnixTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC');
}

/** docker's DisplayablePorts: consecutive ports grouped into ranges, host mappings last. */
export function displayablePorts(input: readonly Port[]): string {
  const ports = [...input].sort((a, b) => a.PrivatePort - b.PrivatePort || (a.IP ?? '').localeCompare(b.IP ?? '') || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || a.Type.localeCompare(b.Type));
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of ports) {
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== p.PrivatePort) {
        const host = p.IP.includes(':') ? `[${p.IP}]` : p.IP;
        hostMappings.push(`${host}:${p.PublicPort ?? 0}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    else if (p.PrivatePort === g.last + 1) g.last = p.PrivatePort;
    else {
      result.push(formGroup(key, g.first, g.last));
      // Go re-inserts the key; Map.set keeps its first position, which is also Go's order here
      groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    }
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

function formGroup(key: string, first: number, last: number): string {
  const slash = key.lastIndexOf('/');
  const ip = slash >= 0 ? key.slice(0, slash) : '';
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  let group = first === last ? String(first) : `${first}-${last}`;
  if (ip) group = `${ip}:${group}->${group}`;
  return `${group}/${type}`;
}
