import type { ContainerInspect, ContainerSummary, EndpointSettingsView, PortSummary } from '@app/api/containers';
import { Prefix } from '@app/common';
import { containerPaths, healthEnabled, ZERO_TIME, type ContainerRecord } from '@app/container';
import { healthStateView, healthToWire } from './health';
import type { ContainerNet } from '../store/sqlite-container-store';
import type { EndpointRecord, NetworkRecord } from '../store/state-store';
import { configVolumes, hostConfigMounts, mountsView } from './mounts-view';

export interface ViewContext {
  stateDir: string;
  network(id: string): NetworkRecord | undefined;
  gateway(networkId: string, family?: 4 | 6): string;
  /** A container's name (`/web`) by id; undefined when no container has that id. */
  containerName?(id: string): string | undefined;
  now?: number;
}

/** Docker's `units.HumanDuration`, as `docker ps` shows it. */
export function humanDuration(ms: number): string {
  // seconds and minutes truncate, hours round (go-units HumanDuration)
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function statusText(r: ContainerRecord, now = Date.now()): string {
  const st = r.state;
  if (st.status === 'restarting') return `Restarting (${st.exitCode}) ${humanDuration(now - Date.parse(st.finishedAt))} ago`;
  if (st.running && st.paused) return `Up ${humanDuration(now - Date.parse(st.startedAt))} (Paused)`;
  if (st.running && r.health && healthEnabled(r.spec.healthcheck)) {
    return `Up ${humanDuration(now - Date.parse(st.startedAt))} (${r.health.status === 'starting' ? 'health: starting' : r.health.status})`;
  }
  if (st.running) return `Up ${humanDuration(now - Date.parse(st.startedAt))}`;
  if (st.status === 'dead') return 'Dead';
  if (st.status === 'removing') return 'Removal In Progress';
  if (st.status === 'created' || st.finishedAt === ZERO_TIME) return 'Created';
  return `Exited (${st.exitCode}) ${humanDuration(now - Date.parse(st.finishedAt))} ago`;
}

/** The names the embedded DNS answers for a container on a user network, in dockerd's order (`buildEndpointDNSNames`). */
function dnsNames(r: ContainerRecord, aliases: readonly string[]): string[] {
  return [...new Set([r.name.slice(1), ...aliases, r.id.slice(0, 12), r.hostname].filter((x) => x !== ''))];
}

function endpointView(n: NetworkRecord, e: EndpointRecord | undefined, ctx: ViewContext, cfg?: ContainerNet['networks'][number], self?: ContainerRecord): EndpointSettingsView {
  const addr = e?.ipv4 ? Prefix.parse(e.ipv4) : undefined;
  const addr6 = e?.ipv6 ? Prefix.parse(e.ipv6) : undefined;
  return {
    IPAMConfig: cfg?.ipv4 || cfg?.ipv6 ? { ...(cfg.ipv4 ? { IPv4Address: cfg.ipv4 } : {}), ...(cfg.ipv6 ? { IPv6Address: cfg.ipv6 } : {}) } : null,
    // a link is kept by the target's id (or its name until it exists) and shown as dockerd does, `name:alias`
    Links: cfg?.links.length ? cfg.links.map((l) => `${ctx.containerName?.(l.container)?.slice(1) ?? l.container}:${l.alias}`) : null,
    Aliases: cfg?.aliases.length ? cfg.aliases : null,
    MacAddress: e?.mac ?? '',
    DriverOpts: null,
    NetworkID: n.id,
    EndpointID: e?.id ?? '',
    Gateway: e ? ctx.gateway(n.id) : '',
    IPAddress: addr?.address.toString() ?? '',
    IPPrefixLen: addr?.length ?? 0,
    IPv6Gateway: addr6 ? ctx.gateway(n.id, 6) : '',
    GlobalIPv6Address: addr6?.address.toString() ?? '',
    GlobalIPv6PrefixLen: addr6?.length ?? 0,
    DNSNames: self && !n.predefined ? dnsNames(self, cfg?.aliases ?? []) : null,
  };
}

function networksView(net: ContainerNet, eps: readonly EndpointRecord[], ctx: ViewContext, self?: ContainerRecord): Record<string, EndpointSettingsView> {
  const out: Record<string, EndpointSettingsView> = {};
  if (net.kind === 'host' || net.kind === 'none') return out;
  for (const a of net.networks) {
    const n = ctx.network(a.networkId);
    if (n) out[n.name] = endpointView(n, eps.find((e) => e.networkId === n.id), ctx, a, self);
  }
  return out;
}

function portsOf(net: ContainerNet, running: boolean): PortSummary[] {
  const out: PortSummary[] = [];
  for (const key of net.exposed) {
    const [port, proto] = key.split('/');
    const published = running && net.kind === 'networks' ? net.ports.filter((p) => p.containerPort === Number(port) && p.proto === proto) : [];
    if (published.length === 0) out.push({ PrivatePort: Number(port), Type: proto });
    for (const p of published) out.push({ IP: p.hostIp ?? '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
  }
  return out;
}

export function toSummary(r: ContainerRecord, net: ContainerNet, eps: readonly EndpointRecord[], ctx: ViewContext): ContainerSummary {
  return {
    Id: r.id,
    Names: [r.name],
    Image: r.spec.image ?? '',
    ImageID: r.spec.imageId ?? '',
    Command: r.spec.cmd.join(' '),
    Created: Math.floor(Date.parse(r.created) / 1000),
    Ports: portsOf(net, r.state.running),
    Labels: { ...(r.spec.labels ?? {}) },
    State: r.state.status,
    Status: statusText(r, ctx.now),
    HostConfig: { NetworkMode: net.mode },
    NetworkSettings: { Networks: networksView(net, eps, ctx, r) },
    Mounts: mountsView(r),
  };
}

export function toInspect(r: ContainerRecord, net: ContainerNet, eps: readonly EndpointRecord[], ctx: ViewContext, sandboxKey: string): ContainerInspect {
  const p = containerPaths(ctx.stateDir, r.id);
  const networks = networksView(net, eps, ctx, r);
  const first = Object.values(networks)[0];
  const ports: ContainerInspect['NetworkSettings']['Ports'] = {};
  for (const key of net.exposed) {
    const [port, proto] = key.split('/');
    const b = net.ports.filter((x) => x.containerPort === Number(port) && x.proto === proto);
    ports[key] = r.state.running && b.length > 0 ? b.map((x) => ({ HostIp: x.hostIp ?? '0.0.0.0', HostPort: String(x.hostPort) })) : null;
  }
  const s = r.spec;
  return {
    Id: r.id,
    Created: r.created,
    Path: s.cmd[0] ?? '',
    Args: s.cmd.slice(1),
    State: {
      Status: r.state.status, Running: r.state.running, Paused: r.state.paused, Restarting: r.state.restarting,
      OOMKilled: r.state.oomKilled, Dead: r.state.dead, Pid: r.state.pid, ExitCode: r.state.exitCode, Error: r.state.error,
      StartedAt: r.state.startedAt, FinishedAt: r.state.finishedAt,
      ...(r.health && healthEnabled(s.healthcheck) ? { Health: healthStateView(r.health) } : {}),
    },
    Image: s.imageId ?? '',
    ResolvConfPath: p.resolvConf,
    HostnamePath: p.hostname,
    HostsPath: p.hosts,
    LogPath: p.log,
    Name: r.name,
    RestartCount: r.restartCount,
    Driver: 'overlay',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    HostConfig: {
      NetworkMode: net.mode,
      AutoRemove: s.autoRemove ?? false,
      RestartPolicy: { Name: s.restartPolicy?.name ?? 'no', MaximumRetryCount: s.restartPolicy?.maximumRetryCount ?? 0 },
      PortBindings: Object.fromEntries(net.ports.map((x) => [`${x.containerPort}/${x.proto}`, [{ HostIp: x.hostIp ?? '', HostPort: String(x.hostPort) }]])),
      Links: net.legacyLinks.length ? net.legacyLinks.map((l) => `${ctx.containerName?.(l.container) ?? l.container}:${r.name}/${l.alias}`) : null,
      ...hostConfigAsGiven(s),
      ExtraHosts: s.extraHosts ?? null, CapAdd: s.capAdd ?? null, CapDrop: s.capDrop ?? null, ReadonlyRootfs: s.readonlyRootfs ?? false,
      Sysctls: s.sysctls ? { ...s.sysctls } : undefined, PidMode: s.pidHost ? 'host' : '', CgroupnsMode: s.cgroupns ?? '',
      ShmSize: s.shmSizeBytes ?? 64 * 1024 * 1024, OomScoreAdj: s.oomScoreAdj ?? 0, LogConfig: { Type: 'json-file', Config: {} },
      Memory: s.resources?.memory ?? 0, MemorySwap: s.resources?.memorySwap ?? 0, MemoryReservation: s.resources?.memoryReservation ?? 0,
      MemorySwappiness: s.resources?.memorySwappiness ?? null, OomKillDisable: s.resources?.oomKillDisable ?? false,
      NanoCpus: s.resources?.nanoCpus ?? 0, CpuShares: s.resources?.cpuShares ?? 0, CpuPeriod: s.resources?.cpuPeriod ?? 0, CpuQuota: s.resources?.cpuQuota ?? 0,
      CpusetCpus: s.resources?.cpusetCpus ?? '', CpusetMems: s.resources?.cpusetMems ?? '', PidsLimit: s.resources?.pidsLimit ?? null,
      ...hostConfigMounts(r),
    },
    Mounts: mountsView(r),
    Config: {
      Hostname: r.hostname, Domainname: s.domainname ?? '', User: s.user ?? '', Tty: s.tty ?? false, OpenStdin: s.openStdin ?? false,
      Env: s.env ?? [], Cmd: s.cmd.slice(), Image: s.image ?? '', WorkingDir: s.workingDir ?? '', Labels: { ...(s.labels ?? {}) },
      ExposedPorts: Object.fromEntries(net.exposed.map((k) => [k, {}])), StopSignal: s.stopSignal ?? 'SIGTERM', Volumes: configVolumes(r),
      ...(s.stopTimeout !== undefined ? { StopTimeout: s.stopTimeout } : {}),
      AttachStdin: s.asGiven?.attachStdin ?? false, AttachStdout: s.asGiven?.attachStdout ?? false, AttachStderr: s.asGiven?.attachStderr ?? false,
      ...(s.asGiven?.macAddress ? { MacAddress: s.asGiven.macAddress } : {}),
      ...(s.healthcheck ? { Healthcheck: healthToWire(s.healthcheck) } : {}),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: eps.length > 0 ? r.id : '',
      SandboxKey: eps.length > 0 || (net.kind === 'none' && r.state.running) ? sandboxKey : '',
      Ports: ports,
      Gateway: first?.Gateway ?? '',
      IPAddress: first?.IPAddress ?? '',
      IPPrefixLen: first?.IPPrefixLen ?? 0,
      MacAddress: first?.MacAddress ?? '',
      Networks: net.kind === 'none' || net.kind === 'host' ? { [net.kind]: emptyEndpoint() } : networks,
    },
  };
}

/**
 * HostConfig fields dockerd echoes as the client sent them, with its defaults for records made
 * before netd kept them (Dns lists were always kept, as `[]` when not given).
 */
function hostConfigAsGiven(s: ContainerRecord['spec']): Record<string, unknown> {
  const g = s.asGiven;
  return {
    Dns: g ? g.dns ?? null : s.dns?.dns ?? [], DnsSearch: g ? g.dnsSearch ?? null : s.dns?.dnsSearch ?? [], DnsOptions: g ? g.dnsOptions ?? null : s.dns?.dnsOptions ?? [],
    IpcMode: g?.ipcMode ?? 'private', SecurityOpt: g?.securityOpt ?? null, Privileged: false, Isolation: g?.isolation ?? '', Runtime: g?.runtime ?? 'runc',
  };
}

function emptyEndpoint(): EndpointSettingsView {
  return {
    IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, NetworkID: '', EndpointID: '', Gateway: '',
    IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}
