import { readFileSync } from 'node:fs';
import { UsageError } from '../../client/errors';
import type { ContainerCreateRequest, EndpointConfig, PortBinding } from '../../client/engine-types';
import { EXIT_USAGE } from '../../context';
import * as messages from '../../messages';
import { parseKeyValues } from '../network/filters';
import type { ContainerCreateOptions } from './container-create.options';
import { parseMountFlag, tmpfsFlags, volumeFlags } from './mount-flags';
import { healthcheckOf } from './health-flags';

/** A flag mistake found before anything is sent: docker prints it with the help hint, exit 125. */
const flagError = (command: string, text: string) => new UsageError(`${messages.genericError(text)}\n${messages.seeHelp(command)}`, EXIT_USAGE);

/**
 * docker's `parse()` for run/create: flags → the create request (Config + HostConfig +
 * NetworkingConfig). Pure apart from reading --env-file files; throws UsageError (125).
 */
export function buildCreateRequest(image: string, cmd: string[], o: ContainerCreateOptions, command: string): ContainerCreateRequest {
  const restart = parseRestart(o.restart ?? 'no', command);
  if (o.rm && restart.Name !== 'no') throw flagError(command, messages.containers.conflictRmRestart);
  const { exposed, bindings } = parsePorts(o.publish, o.expose, command);
  const attach = o.attach.map((a) => a.toLowerCase());
  const network = o.network ?? 'default';
  const endpoint: EndpointConfig = {};
  if (o.ip || o.ip6) endpoint.IPAMConfig = { ...(o.ip ? { IPv4Address: o.ip } : {}), ...(o.ip6 ? { IPv6Address: o.ip6 } : {}) };
  if (o.networkAlias.length) endpoint.Aliases = [...o.networkAlias];
  if (o.macAddress) endpoint.MacAddress = o.macAddress;
  const hasEndpoint = o.network !== undefined || Object.keys(endpoint).length > 0;
  const { binds, volumes } = volumeFlags(o.volume ?? []);
  const mounts = (o.mount ?? []).map((m) => {
    try {
      return parseMountFlag(m);
    } catch (e) {
      throw flagError(command, `invalid argument "${m}" for "--mount" flag: ${(e as Error).message}`);
    }
  });
  const tmpfs = tmpfsFlags(o.tmpfs ?? []);
  const health = healthcheckOf(o, command);
  return {
    Hostname: o.hostname ?? '',
    Domainname: '',
    User: o.user ?? '',
    AttachStdin: attach.length ? attach.includes('stdin') : Boolean(o.interactive),
    AttachStdout: attach.length ? attach.includes('stdout') : true,
    AttachStderr: attach.length ? attach.includes('stderr') : true,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    Tty: Boolean(o.tty),
    OpenStdin: Boolean(o.interactive),
    StdinOnce: Boolean(o.interactive),
    Env: [...readEnvFiles(o.envFile, command), ...o.env.map(expandEnv)],
    Cmd: cmd.length ? cmd : undefined,
    Image: image,
    Labels: parseKeyValues(o.label),
    WorkingDir: o.workdir ?? '',
    Entrypoint: o.entrypoint === undefined ? undefined : o.entrypoint === '' ? [''] : [o.entrypoint],
    ...(o.stopSignal ? { StopSignal: o.stopSignal } : {}),
    ...(Object.keys(volumes).length ? { Volumes: volumes } : {}),
    ...(health ? { Healthcheck: health } : {}),
    HostConfig: {
      NetworkMode: network,
      PortBindings: bindings,
      PublishAllPorts: Boolean(o.publishAll),
      Links: o.link.length ? o.link.map(normalizeLink) : undefined,
      Dns: o.dns,
      DnsSearch: o.dnsSearch,
      DnsOptions: o.dnsOption,
      ExtraHosts: o.addHost.length ? o.addHost.map((h) => h.replace('=', ':')) : undefined,
      AutoRemove: Boolean(o.rm),
      RestartPolicy: restart,
      ...(binds.length ? { Binds: binds } : {}),
      ...(mounts.length ? { Mounts: mounts } : {}),
      ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
      ...(o.volumesFrom?.length ? { VolumesFrom: [...o.volumesFrom] } : {}),
    },
    NetworkingConfig: { EndpointsConfig: hasEndpoint ? { [network]: endpoint } : {} },
  };
}

/** `no`, `always`, `unless-stopped`, `on-failure[:N]`. */
export function parseRestart(v: string, command: string): { Name: string; MaximumRetryCount?: number } {
  const [name, count, extra] = v.split(':');
  if (extra !== undefined || !['no', 'always', 'unless-stopped', 'on-failure', ''].includes(name)) throw flagError(command, messages.containers.invalidRestart(v));
  if (count !== undefined) {
    if (name !== 'on-failure' || !/^\d+$/.test(count)) throw flagError(command, messages.containers.invalidRestart(v));
    return { Name: name, MaximumRetryCount: Number(count) };
  }
  return { Name: name || 'no' };
}

/**
 * docker's nat.ParsePortSpecs: `[ip:][hostPort:]containerPort[/proto]`, ranges on both sides
 * (`8000-8001:80-81`), IPv6 host addresses in brackets.
 */
export function parsePorts(publish: readonly string[], expose: readonly string[], command: string): { exposed: Record<string, object>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  const range = (s: string): [number, number] | undefined => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    return a >= 0 && b <= 65535 && a <= b ? [a, b] : undefined;
  };
  for (const spec of publish) {
    const slash = spec.lastIndexOf('/');
    const proto = slash >= 0 && !spec.slice(slash).includes(':') ? spec.slice(slash + 1) : 'tcp';
    const body = slash >= 0 && !spec.slice(slash).includes(':') ? spec.slice(0, slash) : spec;
    let ip = '';
    let rest = body;
    const v6 = /^\[([^\]]+)\]:(.*)$/.exec(body);
    if (v6) [, ip, rest] = v6;
    const parts = rest.split(':');
    if (!v6 && parts.length === 3) ip = parts.shift() ?? '';
    if (parts.length > 2 || !['tcp', 'udp', 'sctp'].includes(proto)) throw flagError(command, messages.containers.invalidPort(spec));
    const container = range(parts[parts.length - 1]);
    const host = parts.length === 2 && parts[0] !== '' ? range(parts[0]) : undefined;
    if (!container || (parts.length === 2 && parts[0] !== '' && !host)) throw flagError(command, messages.containers.invalidPort(spec));
    const n = container[1] - container[0];
    if (host && host[1] - host[0] !== n && host[0] !== host[1]) throw flagError(command, messages.containers.invalidPort(spec));
    for (let i = 0; i <= n; i++) {
      const key = `${container[0] + i}/${proto}`;
      exposed[key] = {};
      const hostPort = host ? String(host[0] === host[1] ? host[0] : host[0] + i) : '';
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  for (const e of expose) {
    const [p, proto = 'tcp'] = e.split('/');
    const r = range(p);
    if (!r) throw flagError(command, `invalid range format for --expose: ${e}`);
    for (let port = r[0]; port <= r[1]; port++) exposed[`${port}/${proto}`] = {};
  }
  return { exposed, bindings };
}

/** `-e NAME` without `=` takes the value from netctl's own environment, if set (docker's rule). */
function expandEnv(v: string): string {
  if (v.includes('=')) return v;
  const value = process.env[v];
  return value === undefined ? v : `${v}=${value}`;
}

function readEnvFiles(paths: readonly string[], command: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      throw flagError(command, messages.containers.invalidEnvFile(p, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(e)));
    }
    for (const line of text.split(/\r?\n/)) {
      const t = line.replace(/^\s+/, '');
      if (t === '' || t.startsWith('#')) continue;
      out.push(expandEnv(t));
    }
  }
  return out;
}

/** `name` → `name:name`, as docker stores links. */
function normalizeLink(l: string): string {
  return l.includes(':') ? l : `${l}:${l}`;
}
