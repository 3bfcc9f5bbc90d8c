import type { ContainerCreateDto, EndpointConfig } from '@app/api/containers';
import { InvalidParameterError, IpAddr, MacAddr, NotFoundError, NotImplementedError } from '@app/common';
import { NO_RESTART, restartPolicy, type RestartPolicy } from '@app/container';
import type { DriverCapabilities } from '@app/drivers/driver-api';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { NetworkRecord } from '../store/state-store';
import { checkStaticAddress } from '../networks/static-address';
import type { ContainerNet, NetAttachment, PublishedPort } from '../store/sqlite-container-store';

/** What the daemon needs to look things up while decoding a create request. */
export interface RequestContext {
  findNetwork(term: string): NetworkRecord;
  /** What the network's driver declares it to be. */
  capabilities(n: NetworkRecord): DriverCapabilities;
  /** A container by id, name or prefix: its id and network kind; NotFound otherwise. */
  findContainer(term: string): { id: string; name: string; running: boolean; net?: ContainerNet };
  ipam: Pick<Ipam, 'getPool' | 'checkAddress'>;
  /** A host port no other container publishes (for `-P` and `-p <container port>`). */
  freeHostPort(proto: string): number;
}

export interface DecodedCreate {
  net: ContainerNet;
  restartPolicy: RestartPolicy;
  warnings: string[];
}

export const HOST_PORTS_DISCARDED = 'Published ports are discarded when using host network mode';

const list = (v: string[] | null | undefined): string[] => (Array.isArray(v) ? v.filter((s) => typeof s === 'string') : []);

const toList = (v: string[] | string | null | undefined): string[] | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'string' ? [v] : v;

/**
 * Entrypoint + Cmd merged with the image's as dockerd merges them: `null` is the same as absent
 * (the docker CLI sends `"Entrypoint": null` on every create); an empty Entrypoint (`[]`) or an
 * absent one takes the image's Cmd when no Cmd is given, and only an absent one takes the image's
 * Entrypoint; a given Entrypoint drops the image's Cmd. `[""]` (`--entrypoint ""`) is none.
 */
export function commandLine(req: Pick<ContainerCreateDto, 'Entrypoint' | 'Cmd'>, ic: { Entrypoint?: string[] | null; Cmd?: string[] | null }): string[] {
  const userEntrypoint = toList(req.Entrypoint);
  let cmd = toList(req.Cmd) ?? [];
  let entrypoint: string[];
  if (userEntrypoint === undefined || userEntrypoint.length === 0) {
    if (cmd.length === 0) cmd = ic.Cmd ?? [];
    entrypoint = userEntrypoint ?? ic.Entrypoint ?? [];
  } else {
    entrypoint = userEntrypoint.length === 1 && userEntrypoint[0] === '' ? [] : userEntrypoint;
  }
  return [...entrypoint, ...cmd];
}

/** `80/tcp` → [80, 'tcp']; Docker's messages. */
export function parsePortKey(key: string): { port: number; proto: 'tcp' | 'udp' | 'sctp' } {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) throw new InvalidParameterError(`invalid port specification: "${key}"`);
  return { port, proto: (m[2] ?? 'tcp') as 'tcp' | 'udp' | 'sctp' };
}

/** Docker's `--link name[:alias]`. */
export function parseLink(text: string): { name: string; alias: string } {
  const [name, alias, ...rest] = text.split(':');
  if (!name || rest.length > 0 || alias === '') throw new InvalidParameterError(`invalid link format: ${text}`);
  return { name: name.replace(/^\//, ''), alias: alias ?? name.replace(/^\//, '') };
}

/**
 * Decode HostConfig/NetworkingConfig into netd's network request, checking everything that can
 * be checked before anything is made: network and link targets exist, static addresses fit the
 * subnet and are not the gateway, conflicting modes.
 */
export function decodeNetworking(req: ContainerCreateDto, imageExposed: readonly string[], ctx: RequestContext): DecodedCreate {
  const hc = req.HostConfig ?? {};
  const warnings: string[] = [];
  const mode = hc.NetworkMode && hc.NetworkMode !== 'default' ? hc.NetworkMode : 'bridge';
  // the docker CLI keys the default network's endpoint config as `default`
  const endpoints = new Map([...(req.NetworkingConfig?.EndpointsConfig ?? [])].map(([k, v]) => [k === 'default' ? 'bridge' : k, v as EndpointConfig]));
  const policy = hc.RestartPolicy?.Name ? restartPolicy({ name: hc.RestartPolicy.Name, maximumRetryCount: hc.RestartPolicy.MaximumRetryCount }) : NO_RESTART;
  if (hc.AutoRemove && policy.name !== 'no') throw new InvalidParameterError(`can't create 'AutoRemove' container with restart policy`);

  const exposed = new Set<string>(imageExposed);
  for (const k of Object.keys(req.ExposedPorts ?? {})) {
    const p = parsePortKey(k);
    exposed.add(`${p.port}/${p.proto}`);
  }
  let ports: PublishedPort[] = [];
  for (const [key, bindings] of hc.PortBindings ?? []) {
    const p = parsePortKey(key);
    exposed.add(`${p.port}/${p.proto}`);
    for (const b of bindings ?? [{}]) ports.push(binding(p, b, ctx));
  }
  if (hc.PublishAllPorts) {
    for (const key of exposed) {
      const p = parsePortKey(key);
      if (!ports.some((x) => x.containerPort === p.port && x.proto === p.proto)) ports.push({ ...toPort(p), hostPort: ctx.freeHostPort(p.proto) });
    }
  }
  const links = list(hc.Links).map(parseLink);
  const base = { ports: [] as PublishedPort[], exposed: [...exposed], legacyLinks: [], networks: [] as NetAttachment[] };

  if ((mode === 'host' || mode.startsWith('container:')) && req.MacAddress) throw new InvalidParameterError('conflicting options: mac-address and the network mode');
  if (mode === 'host') {
    if (ports.length > 0) warnings.push(HOST_PORTS_DISCARDED);
    if (links.length > 0) throw new InvalidParameterError('conflicting options: host type networking can\'t be used with links. This would result in undefined behavior');
    return { net: { ...base, mode, kind: 'host' }, restartPolicy: policy, warnings };
  }
  if (mode === 'none') {
    if (links.length > 0) throw new InvalidParameterError('conflicting options: none type networking can\'t be used with links. This would result in undefined behavior');
    ports = [];
    return { net: { ...base, mode, kind: 'none' }, restartPolicy: policy, warnings };
  }
  if (mode.startsWith('container:')) {
    const target = ctx.findContainer(mode.slice('container:'.length));
    if (ports.length > 0) throw new InvalidParameterError('conflicting options: port publishing and the container type network mode');
    return { net: { ...base, mode, kind: 'container', sharedWith: target.id }, restartPolicy: policy, warnings };
  }

  const primary = ctx.findNetwork(mode);
  // the host network and none by id or another term: decoded as the network modes that name them
  const primaryKind = ctx.capabilities(primary).sandbox;
  if (primaryKind !== 'endpoint') return decodeNetworking({ ...req, HostConfig: { ...hc, NetworkMode: primaryKind } }, imageExposed, ctx);
  const isDefault = primary.name === 'bridge' && primary.predefined;
  const configs: [NetworkRecord, EndpointConfig][] = [];
  const byName = (key: string) => ctx.findNetwork(key);
  const primaryConfig = withConfigMac([...endpoints].find(([k]) => safeFind(byName, k)?.id === primary.id)?.[1] ?? {}, req.MacAddress);
  configs.push([primary, primaryConfig]);
  for (const [k, ec] of endpoints) {
    const n = ctx.findNetwork(k);
    if (n.id === primary.id) continue;
    if (ctx.capabilities(n).sandbox !== 'endpoint') {
      throw new InvalidParameterError(`conflicting options: cannot attach both user-defined and non-user-defined network-modes`);
    }
    configs.push([n, ec ?? {}]);
  }
  const legacyLinks: { container: string; alias: string }[] = [];
  const networks: NetAttachment[] = [];
  for (const [i, [n, ec]] of configs.entries()) {
    const netLinks = [...(i === 0 ? links : []), ...list(ec.Links).map(parseLink)];
    if (isDefault && i === 0) {
      const resolved = netLinks.map((l) => {
        const t = safeFind(ctx.findContainer, l.name);
        if (!t) throw new InvalidParameterError(`could not get container for ${l.name}`);
        return { container: t.id, alias: l.alias };
      });
      for (const l of resolved) {
        if (!ctx.findContainer(l.container).running) throw new InvalidParameterError(`Cannot link to a non running container: ${l.container}`);
      }
      legacyLinks.push(...resolved);
    }
    networks.push(attachment(n, ec, ctx, isDefault && i === 0 ? [] : resolveLinks(netLinks, ctx.findContainer)));
  }
  return { net: { ...base, mode, kind: 'networks', networks, ports, legacyLinks }, restartPolicy: policy, warnings };
}

/**
 * Links on a user network (an alias only the linking container resolves): a container that
 * exists is kept by id (the alias follows a rename); one that does not exist yet is kept by name
 * and resolves once a container of that name joins the network, as dockerd accepts it.
 */
export function resolveLinks(links: readonly { name: string; alias: string }[], findContainer: RequestContext['findContainer']): NetAttachment['links'] {
  return links.map((l) => ({ container: safeFind(findContainer, l.name)?.id ?? l.name, alias: l.alias }));
}

/** The endpoint request for one network, with its static address checked against the subnet. */
export function attachment(n: NetworkRecord, ec: EndpointConfig, ctx: Pick<RequestContext, 'ipam'>, links: NetAttachment['links'] = []): NetAttachment {
  const ipv4 = ec.IPAMConfig?.IPv4Address || undefined;
  const ipv6 = ec.IPAMConfig?.IPv6Address || undefined;
  const isDefault = n.name === 'bridge' && n.predefined;
  if (isDefault && list(ec.Aliases).length > 0) throw new InvalidParameterError('network-scoped alias is supported only for containers in user defined networks');
  checkStaticAddress(n, ctx.ipam, 4, ipv4);
  checkStaticAddress(n, ctx.ipam, 6, ipv6);
  const mac = ec.MacAddress || undefined;
  if (mac) checkMac(mac);
  // accepted by dockerd, not applied by netd: refused rather than ignored
  if (list(ec.IPAMConfig?.LinkLocalIPs).length > 0) throw new NotImplementedError('EndpointSettings.IPAMConfig.LinkLocalIPs is not supported by netd');
  if (Object.keys(ec.DriverOpts ?? {}).length > 0) throw new NotImplementedError('EndpointSettings.DriverOpts is not supported by netd');
  if (ec.GwPriority) throw new NotImplementedError('EndpointSettings.GwPriority is not supported by netd');
  return { networkId: n.id, aliases: list(ec.Aliases), ipv4, ipv6, mac, links };
}

/**
 * Before API 1.44 the MAC address sat in Config; dockerd moves it onto the first network's
 * endpoint, and refuses two different ones.
 */
function withConfigMac(ec: EndpointConfig, mac: string | undefined): EndpointConfig {
  if (!mac) return ec;
  if (ec.MacAddress && ec.MacAddress !== mac) {
    throw new InvalidParameterError('the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty');
  }
  return { ...ec, MacAddress: mac };
}

/** A unicast MAC address other than zero: the kernel refuses the rest when the veth is set up. */
export function checkMac(text: string): MacAddr {
  const mac = MacAddr.parse(text);
  const b = mac.toBytes();
  if ((b[0] & 1) === 1) throw new InvalidParameterError(`invalid MAC address: ${text} is a multicast address`);
  if (b.every((x) => x === 0)) throw new InvalidParameterError(`invalid MAC address: ${text} is all zeros`);
  return mac;
}

function binding(p: { port: number; proto: 'tcp' | 'udp' | 'sctp' }, b: { HostIp?: string; HostPort?: string }, ctx: RequestContext): PublishedPort {
  const hostIp = b.HostIp || undefined;
  if (hostIp && !IpAddr.tryParse(hostIp)) throw new InvalidParameterError(`invalid IP address: ${hostIp}`);
  const hp = b.HostPort ?? '';
  if (hp !== '' && !/^\d{1,5}$/.test(hp)) throw new InvalidParameterError(`invalid port specification: "${hp}"`);
  const hostPort = hp === '' || hp === '0' ? ctx.freeHostPort(p.proto) : Number(hp);
  if (hostPort < 1 || hostPort > 65535) throw new InvalidParameterError(`invalid port specification: "${hp}"`);
  return { ...toPort(p), hostIp, hostPort };
}

const toPort = (p: { port: number; proto: 'tcp' | 'udp' | 'sctp' }) => ({ proto: p.proto, containerPort: p.port });

function safeFind<T>(fn: (t: string) => T, term: string): T | undefined {
  try {
    return fn(term);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}
