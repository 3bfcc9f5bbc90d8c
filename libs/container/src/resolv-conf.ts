import { InvalidParameterError, IpAddr, parseResolvConf as parseResolvConfLines } from '@app/common';

/** The parts of a resolv.conf netd reads and writes. */
export interface ResolvConf {
  readonly nameservers: readonly IpAddr[];
  readonly search: readonly string[];
  readonly options: readonly string[];
}

/** What a container asked for (`--dns`, `--dns-search`, `--dns-option`). */
export interface DnsSettings {
  readonly dns?: readonly string[];
  readonly dnsSearch?: readonly string[];
  readonly dnsOptions?: readonly string[];
}

/** Docker's fallback when the host has no usable (non-loopback) nameserver. */
export const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'].map((s) => IpAddr.parse(s));
/** The embedded DNS server's address inside containers on user networks. */
export const EMBEDDED_DNS = IpAddr.parse('127.0.0.11');

/** Parse resolv.conf text (the shared parser of @app/common). */
export function parseResolvConf(text: string): ResolvConf {
  return parseResolvConfLines(text);
}

export function renderResolvConf(conf: ResolvConf): string {
  const lines: string[] = [];
  if (conf.search.length > 0) lines.push(`search ${conf.search.join(' ')}`);
  for (const ns of conf.nameservers) lines.push(`nameserver ${ns}`);
  if (conf.options.length > 0) lines.push(`options ${conf.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

function isLoopback(ip: IpAddr): boolean {
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
}

/**
 * A container's resolv.conf, as Docker builds it. With the embedded DNS (user networks):
 * `nameserver 127.0.0.11`, `options ndots:0`, the host's search domains; the requested servers
 * become the embedded server's upstreams, not lines here. Without it (default bridge, host):
 * the host's file with loopback nameservers removed (unreachable from the container), Google's
 * as a fallback; `--dns*` settings replace the corresponding parts.
 */
export function containerResolvConf(host: ResolvConf, settings: DnsSettings, embedded: boolean): ResolvConf {
  const dns = (settings.dns ?? []).map((s) => {
    const ip = IpAddr.tryParse(s);
    if (!ip) throw new InvalidParameterError(`${s} is not an ip address`);
    return ip;
  });
  const search = settings.dnsSearch?.length ? settings.dnsSearch.filter((s) => s !== '.') : host.search;
  const userOptions = settings.dnsOptions ?? [];
  if (embedded) {
    const options = userOptions.some((o) => o.startsWith('ndots:')) ? userOptions : ['ndots:0', ...userOptions];
    return { nameservers: [EMBEDDED_DNS], search, options };
  }
  let nameservers = dns.length > 0 ? dns : host.nameservers.filter((ip) => !isLoopback(ip));
  if (nameservers.length === 0) nameservers = FALLBACK_NAMESERVERS;
  const options = userOptions.length > 0 ? userOptions : host.options;
  return { nameservers, search, options };
}

