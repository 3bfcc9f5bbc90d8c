import { InvalidParameterError, IpAddr } from '@app/common';

/** One `--add-host` entry after parsing; `host-gateway` is resolved by {@link resolveExtraHosts}. */
export interface ExtraHost {
  readonly name: string;
  readonly ip: IpAddr | 'host-gateway';
}

/** A legacy `--link` entry on the default bridge: `ip alias id name` (Docker's order). */
export interface LinkHost {
  readonly ip: IpAddr;
  readonly alias: string;
  /** Short (12-hex) id of the linked container. */
  readonly id: string;
  /** Linked container's name, without the leading `/`. */
  readonly name: string;
}

export interface HostsInput {
  readonly hostname: string;
  readonly domainname?: string;
  /** The container's own addresses on its networks; none for `--network none`. */
  readonly addresses: readonly IpAddr[];
  readonly extraHosts: readonly { name: string; ip: IpAddr }[];
  readonly links: readonly LinkHost[];
}

/** Docker's default block (libnetwork `etchosts.defaultContent`, IPv6 lines included). */
const DEFAULT = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

const HOST_NAME = /^[a-zA-Z0-9_]([a-zA-Z0-9_.-]*[a-zA-Z0-9_])?$/;

/**
 * Parse `--add-host` values: `name:ip`, `name=ip`, `name:[v6]`, or `name:host-gateway`.
 * Docker splits at the first `:` (so `name:2001:db8::1` works) unless `=` is used.
 */
export function parseExtraHost(text: string): ExtraHost {
  const sep = text.includes('=') ? text.indexOf('=') : text.indexOf(':');
  if (sep <= 0) throw new InvalidParameterError(`bad format for add-host: "${text}"`);
  const name = text.slice(0, sep);
  let ip = text.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (!HOST_NAME.test(name)) throw new InvalidParameterError(`invalid hostname in add-host: "${name}"`);
  if (ip === 'host-gateway') return { name, ip };
  const addr = IpAddr.tryParse(ip);
  if (!addr) throw new InvalidParameterError(`invalid IP address in add-host: "${ip}"`);
  return { name, ip: addr };
}

/** Replace `host-gateway` with the daemon's host-gateway address (the default bridge's gateway). */
export function resolveExtraHosts(hosts: readonly ExtraHost[], hostGateway: IpAddr | undefined): { name: string; ip: IpAddr }[] {
  return hosts.map((h) => {
    if (h.ip !== 'host-gateway') return { name: h.name, ip: h.ip };
    if (!hostGateway) throw new InvalidParameterError('unable to derive the IP value for host-gateway');
    return { name: h.name, ip: hostGateway };
  });
}

/**
 * The full /etc/hosts of a container: Docker's defaults, `--add-host` entries, link entries,
 * then one line per own address with `fqdn hostname` (or just the hostname).
 */
export function renderHosts(input: HostsInput): string {
  const lines = [...DEFAULT];
  for (const h of input.extraHosts) lines.push(`${h.ip}\t${h.name}`);
  for (const l of input.links) {
    const names = [l.alias, l.id, l.name].filter((n, i, all) => n !== '' && all.indexOf(n) === i);
    lines.push(`${l.ip}\t${names.join(' ')}`);
  }
  const names = input.domainname ? `${input.hostname}.${input.domainname} ${input.hostname}` : input.hostname;
  for (const a of input.addresses) lines.push(`${a}\t${names}`);
  return `${lines.join('\n')}\n`;
}

/** /etc/hostname: the bare hostname and a newline. */
export function renderHostname(hostname: string): string {
  return `${hostname}\n`;
}

/** Docker's hostname check (a DNS label, max 63 characters for the first label). */
export function checkHostname(hostname: string): string {
  if (hostname.length > 255 || !/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(hostname)) {
    throw new InvalidParameterError(`invalid hostname format: ${hostname}`);
  }
  return hostname;
}
