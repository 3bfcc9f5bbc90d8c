import { InvalidParameterError, IpAddr } from '@app/common';
import type { PortMapping } from './driver-api';

export interface ParsedPortSpec {
  readonly proto: PortMapping['proto'];
  /** Container ports the spec exposes, in order. */
  readonly containerPorts: number[];
  /** One mapping per container port; hostPort 0 means "the caller picks a free one". */
  readonly mappings: PortMapping[];
}

const PROTOS: readonly string[] = ['tcp', 'udp', 'sctp'];

function parseRange(spec: string, what: string, text: string): [number, number] {
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(text);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo > hi) {
    throw new InvalidParameterError(`invalid port spec "${spec}": bad ${what} "${text}"`);
  }
  return [lo, hi];
}

/**
 * Parse Docker's `-p` syntax: `[ip:][hostPort:]containerPort[/proto]`, where each port may be a
 * range `a-b` and an IPv6 address is written in brackets (`[::1]:8080:80`). Host and container
 * ranges must be the same size. (Docker also accepts a host range with one container port and
 * picks one free host port from it; netd refuses that form.)
 */
export function parsePortSpec(spec: string): ParsedPortSpec {
  const bad = (why: string) => new InvalidParameterError(`invalid port spec "${spec}": ${why}`);
  if (typeof spec !== 'string' || spec.length === 0 || spec.length > 100) throw bad('empty or too long');
  let rest = spec;
  let proto: PortMapping['proto'] = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (!PROTOS.includes(p)) throw bad(`unknown protocol "${rest.slice(slash + 1)}"`);
    proto = p as PortMapping['proto'];
    rest = rest.slice(0, slash);
  }
  let ipText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']:');
    if (close < 0) throw bad('unterminated IPv6 address');
    ipText = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (ipText === undefined && parts.length === 3) ipText = parts.shift();
  if (parts.length > 2 || (ipText !== undefined && parts.length !== 2)) throw bad('expected [ip:]hostPort:containerPort');
  const [hostText, containerText] = parts.length === 2 ? parts : ['', parts[0]];
  let hostIp: IpAddr | undefined;
  if (ipText !== undefined && ipText !== '') {
    hostIp = IpAddr.tryParse(ipText);
    if (!hostIp) throw bad(`bad host address "${ipText}"`);
  }
  const [cLo, cHi] = parseRange(spec, 'container port', containerText);
  const host = hostText === '' ? undefined : parseRange(spec, 'host port', hostText);
  if (host && host[1] - host[0] !== cHi - cLo) throw bad('host and container port ranges differ in size');
  const containerPorts: number[] = [];
  const mappings: PortMapping[] = [];
  for (let i = 0; i <= cHi - cLo; i++) {
    containerPorts.push(cLo + i);
    mappings.push({ proto, hostIp, hostPort: host ? host[0] + i : 0, containerPort: cLo + i });
  }
  return { proto, containerPorts, mappings };
}
