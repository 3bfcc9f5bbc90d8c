import { ConflictError, InvalidParameterError } from '@app/common';
import type { IpAddr } from '@app/common';
import type { PortMapping } from '../driver-api';
import type { BridgeEndpoint, BridgeNetwork } from './bridge.state';
import type { PublishedPort } from './firewall-rules';

const PROTOS = ['tcp', 'udp', 'sctp'];

function checkPort(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InvalidParameterError(`invalid ${what} ${n}: must be an integer between 1 and 65535`);
  }
}

const anyAddr = (family: 4 | 6) => (family === 4 ? '0.0.0.0' : '[::]');
const shown = (ip: IpAddr | undefined, family: 4 | 6) => (ip ? (ip.family === 4 ? ip.toString() : `[${ip}]`) : anyAddr(family));

function clashes(a: PublishedPort, b: PublishedPort): boolean {
  if (a.proto !== b.proto || a.hostPort !== b.hostPort || a.containerIp.family !== b.containerIp.family) return false;
  return !a.hostIp || !b.hostIp || a.hostIp.equals(b.hostIp);
}

/**
 * Resolve an endpoint's port mappings to one DNAT target per container address family.
 * A mapping without a host address uses the network's host_binding_ipv4, else every address
 * (of each family the endpoint has). InvalidParameter for bad ports or a host address of a
 * family the endpoint lacks; Conflict (Docker's text) when another endpoint holds the port.
 */
export function resolvePublished(
  net: BridgeNetwork,
  ep: BridgeEndpoint,
  mappings: readonly PortMapping[],
  taken: readonly PublishedPort[],
): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const m of mappings) {
    if (!PROTOS.includes(m.proto)) throw new InvalidParameterError(`invalid protocol "${m.proto}": expected tcp, udp or sctp`);
    checkPort('host port', m.hostPort);
    checkPort('container port', m.containerPort);
    const hostIp = m.hostIp ?? net.options.hostBindingIpv4;
    const unspecified = hostIp !== undefined && hostIp.value === 0n;
    const families: (4 | 6)[] = hostIp ? [hostIp.family] : [4, 6];
    for (const family of families) {
      const containerIp = ep.addresses.find((a) => a.family === family)?.address;
      if (!containerIp) {
        if (hostIp) {
          throw new InvalidParameterError(`cannot publish on ${hostIp}: the endpoint has no IPv${family} address`);
        }
        continue;
      }
      const p: PublishedPort = {
        proto: m.proto,
        hostIp: unspecified ? undefined : hostIp,
        hostPort: m.hostPort,
        containerIp,
        containerPort: m.containerPort,
      };
      if ([...taken, ...out].some((t) => clashes(t, p))) {
        throw new ConflictError(`Bind for ${shown(p.hostIp, family)}:${p.hostPort} failed: port is already allocated`);
      }
      out.push(p);
    }
  }
  return out;
}
