import type { NetworkSummary } from '@app/api';
import { goJson } from '../../output/go-json';
import type { MarshalsJson } from '../../output/go-template';

const SHORT_ID = 12;

/** The row object `network ls --format` templates see (docker's networkContext). */
export interface NetworkRow extends MarshalsJson {
  ID: string;
  Name: string;
  Driver: string;
  Scope: string;
  IPv4: string;
  IPv6: string;
  Internal: string;
  Labels: string;
  CreatedAt: string;
  Label(name: string): string;
}

export const DEFAULT_NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

export const NETWORK_HEADER = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
  Label: (name: string) => name,
};

export function networkRow(n: NetworkSummary, trunc: boolean): NetworkRow {
  const labels = n.Labels ?? {};
  const fields = {
    CreatedAt: goTime(n.Created),
    Driver: n.Driver,
    ID: trunc ? n.Id.slice(0, SHORT_ID) : n.Id,
    IPv4: String(n.EnableIPv4 ?? true),
    IPv6: String(Boolean(n.EnableIPv6)),
    Internal: String(Boolean(n.Internal)),
    // docker joins a Go map here (random order); sorted keeps the output stable.
    Labels: Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(','),
    Name: n.Name,
    Scope: n.Scope,
  };
  return {
    ...fields,
    Label: (name: string) => labels[name] ?? '',
    marshalJson: () => goJson(fields),
  };
}

/**
 * Go's time.Time.String() for an RFC 3339 timestamp: `2006-01-02 15:04:05.999999999 -0700 MST`.
 * A `Z` time prints zone UTC; a numeric offset has no zone name, so Go prints the offset twice.
 */
export function goTime(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339 ?? '');
  if (!m) return rfc3339 ?? '';
  const frac = (m[3] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4].replace(':', '')} ${m[4].replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac ? '.' + frac : ''} ${zone}`;
}
