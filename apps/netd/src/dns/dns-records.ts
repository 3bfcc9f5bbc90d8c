import { Prefix } from '@app/common';
import { isDnsName, type DnsEndpoint, type DnsNetwork } from '@app/dns';
import type { EndpointRecord, NetworkRecord, StateStore } from '../store/state-store';

const FULL_ID = /^[0-9a-f]{64}$/;

/**
 * The DNS view of a network record, or undefined for networks the DNS does not serve. Names are
 * served where endpoints have addresses: on networks with pools, which exactly the drivers that
 * declare `usesPools` have (host and null networks have none).
 */
export function dnsNetwork(n: NetworkRecord, defaultBridgeNames: boolean): DnsNetwork | undefined {
  if (n.state !== 'active' || n.poolIds.length === 0) return undefined;
  const isDefaultBridge = n.predefined && n.name === 'bridge';
  return { id: n.id, name: n.name, internal: n.internal, names: isDefaultBridge ? defaultBridgeNames : true };
}

/** What a container adds to its endpoints' records (from its record and sandboxUp). */
export interface EndpointExtras {
  readonly upstreams?: readonly string[];
  readonly hostname?: string;
  readonly extraHosts?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The DNS view of one endpoint: the sandbox's id and name (the container core gives a
 * container's sandbox the container's id and name), aliases, addresses and link aliases, plus
 * the container's hostname, `--dns` and `--add-host` entries.
 * Undefined while the endpoint is half made (creating/deleting) or its sandbox is gone.
 */
export function dnsEndpoint(store: StateStore, ep: EndpointRecord, extras: EndpointExtras = {}): DnsEndpoint | undefined {
  if (ep.state !== 'active') return undefined;
  const sandbox = store.sandboxById(ep.sandboxId);
  if (!sandbox) return undefined;
  const extra = ep as EndpointRecord & { hostname?: unknown };
  const hostname = extras.hostname ?? (typeof extra.hostname === 'string' && extra.hostname !== '' ? extra.hostname : undefined);
  return {
    networkId: ep.networkId,
    endpointId: ep.id,
    containerId: sandbox.id,
    name: sandbox.name.replace(/^\//, ''),
    hostname,
    // dockerd accepts aliases no DNS query can carry (`-x`, `a b`): they are shown, not served
    aliases: ep.aliases.filter(isDnsName),
    links: linkAliases(store, ep),
    ipv4: addressOf(ep.ipv4),
    ipv6: addressOf(ep.ipv6),
    upstreams: extras.upstreams && extras.upstreams.length > 0 ? extras.upstreams : undefined,
    extraHosts: extras.extraHosts,
  };
}

/**
 * `links` on the endpoint record: a list of {container id, alias} (or its JSON text), read
 * defensively because the container core adds the column; unknown shapes, targets (by id) that
 * no longer exist and names no DNS query can carry are skipped. Returns alias → target name.
 */
export function linkAliases(store: StateStore, ep: EndpointRecord): Record<string, string> | undefined {
  let raw: unknown = ep.links;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(raw)) return undefined;
  const out: Record<string, string> = {};
  for (const item of raw as unknown as Record<string, unknown>[]) {
    const target = item?.containerId ?? item?.container ?? item?.id ?? item?.target;
    const alias = item?.alias ?? item?.name;
    if (typeof target !== 'string' || typeof alias !== 'string') continue;
    const sandbox = store.sandboxById(target) ?? store.sandboxByName(target.replace(/^\//, ''));
    // a name no container has yet: the alias answers once one of that name joins the network
    const name = sandbox ? sandbox.name.replace(/^\//, '') : FULL_ID.test(target) ? undefined : target.replace(/^\//, '');
    const key = alias.replace(/^\//, '');
    if (name !== undefined && isDnsName(name) && isDnsName(key)) out[key] = name;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Which sandboxes link to `targetId` (their link aliases name it, so a rename changes them). */
export function linkersOf(store: StateStore, targetId: string): string[] {
  const out = new Set<string>();
  for (const ep of store.listEndpoints()) {
    const links = ep.links;
    if (links !== undefined && JSON.stringify(links).includes(targetId)) out.add(ep.sandboxId);
  }
  return [...out];
}

function addressOf(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return (Prefix.tryParse(v)?.address ?? undefined)?.toString() ?? v;
}
