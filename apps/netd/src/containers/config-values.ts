import type { ContainerCreateDto } from '@app/api/containers';
import { InvalidParameterError, IpAddr } from '@app/common';
import { checkHostname, parseExtraHost, parseSignal, restartPolicy } from '@app/container';

/**
 * The values of a create request that runc, the kernel or netd's own files would refuse later
 * (at start): checked at create, as dockerd validates the whole request there. Docker's messages
 * where it has one.
 */
export function checkConfigValues(c: ContainerCreateDto, net: { hostNetwork: boolean; privateIpc: boolean }): void {
  const hc = c.HostConfig ?? {};
  for (const [field, v] of [['Cmd', c.Cmd], ['Entrypoint', c.Entrypoint]] as const) {
    for (const a of typeof v === 'string' ? [v] : v ?? []) if (a.includes('\0')) throw new InvalidParameterError(`invalid ${field}: an argument contains a NUL byte`);
  }
  for (const e of c.Env ?? []) checkEnv(e);
  if (c.WorkingDir) checkWorkingDir(c.WorkingDir);
  if (c.Hostname) checkHostname(c.Hostname);
  if (c.Domainname) checkDomainname(c.Domainname);
  if (c.User?.includes('\0') || /[\n\r]/.test(c.User ?? '')) throw new InvalidParameterError(`invalid user: ${JSON.stringify(c.User)}`);
  if (c.StopSignal) parseSignal(c.StopSignal);
  if (c.StopTimeout !== undefined && c.StopTimeout !== null && c.StopTimeout < -1) throw new InvalidParameterError(`invalid StopTimeout: ${c.StopTimeout}`);
  if (hc.RestartPolicy?.Name) restartPolicy({ name: hc.RestartPolicy.Name, maximumRetryCount: hc.RestartPolicy.MaximumRetryCount ?? 0 });
  else if ((hc.RestartPolicy?.MaximumRetryCount ?? 0) !== 0) restartPolicy({ name: '', maximumRetryCount: hc.RestartPolicy!.MaximumRetryCount });
  for (const d of hc.Dns ?? []) if (!IpAddr.tryParse(d)) throw new InvalidParameterError(`${d} is not an ip address`);
  for (const d of hc.DnsSearch ?? []) checkSearchDomain(d);
  for (const o of hc.DnsOptions ?? []) if (!DNS_OPTION.test(o)) throw new InvalidParameterError(`invalid DNS option: ${JSON.stringify(o)}`);
  for (const h of hc.ExtraHosts ?? []) parseExtraHost(h);
  for (const [k, v] of Object.entries(hc.Sysctls ?? {})) checkSysctl(k, v, net);
}

/** `KEY=value` or `KEY` (unset); resolv.conf-style free text is not an environment. */
export function checkEnv(e: string): void {
  if (e === '' || e.startsWith('=') || e.includes('\0')) throw new InvalidParameterError(`invalid environment variable: ${JSON.stringify(e)}`);
}

export function checkWorkingDir(dir: string): void {
  if (!dir.startsWith('/') || dir.includes('\0')) {
    throw new InvalidParameterError(`the working directory '${dir}' is invalid, it needs to be an absolute path`);
  }
}

function checkDomainname(d: string): void {
  if (d.length > 255 || !/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(d)) throw new InvalidParameterError(`invalid domainname format: ${d}`);
}

/** moby opts.ValidateDNSSearch: a domain name, or `.` for none. */
const SEARCH_DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*\.?$/;
function checkSearchDomain(d: string): void {
  if (d === '.') return;
  if (d.length > 255 || !SEARCH_DOMAIN.test(d)) throw new InvalidParameterError(`${d} is not a valid domain`);
}

/** resolv.conf `options` entries: `name` or `name:value` (ndots:2, timeout:1, use-vc, edns0). */
const DNS_OPTION = /^[a-zA-Z0-9][a-zA-Z0-9_-]*(?::[0-9a-zA-Z]+)?$/;

/**
 * Namespaced sysctls, as runc allows them (libcontainer/configs/validate): `net.*` needs a network
 * namespace of the container's own; the IPC ones need its private IPC namespace, which netd always
 * makes. Everything else is the host's and refused.
 */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
export function checkSysctl(key: string, value: string, net: { hostNetwork: boolean; privateIpc: boolean }): void {
  if (!/^[a-z0-9_]+(?:\.[a-zA-Z0-9_-]+)+$/.test(key)) throw new InvalidParameterError(`invalid sysctl name: ${JSON.stringify(key)}`);
  if (/[\0\n\r]/.test(value)) throw new InvalidParameterError(`invalid value for sysctl '${key}': ${JSON.stringify(value)}`);
  if (key.startsWith('net.')) {
    if (net.hostNetwork) throw new InvalidParameterError(`sysctl '${key}' is not allowed in host network mode`);
    return;
  }
  if ((IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) && net.privateIpc) return;
  throw new InvalidParameterError(`sysctl '${key}' is not allowed: it is not in a separate kernel namespace of the container`);
}
