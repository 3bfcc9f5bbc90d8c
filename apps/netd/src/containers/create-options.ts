import type { ContainerCreateDto, HostConfigDto } from '@app/api/containers';
import { InvalidParameterError, NotImplementedError } from '@app/common';
import { listToSet, type ContainerResources, type HostLimits } from '@app/container';
import { containerHealthConfig } from './health';

/** The HostConfig options netd honours, typed; everything else was refused by {@link hostOptions}. */
export interface HostOptions {
  readonly resources?: ContainerResources;
  /** `--pid host`: no PID namespace. */
  readonly pidHost: boolean;
  /** `--cgroupns`; undefined is the daemon's default for its cgroup mode. */
  readonly cgroupns?: 'host' | 'private';
  readonly shmSizeBytes?: number;
  readonly oomScoreAdj?: number;
  readonly consoleSize?: { readonly height: number; readonly width: number };
  readonly warnings: string[];
}

/** Docker's minimum for Memory and MemoryReservation (moby `linuxMinMemory`). */
const MIN_MEMORY = 6 * 1024 * 1024;
const MIN_CPU_SHARES = 2;
const MAX_CPU_SHARES = 262144;

const given = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== '' && v !== 0 && v !== false && !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && Object.keys(v as object).length === 0) &&
  !(v instanceof Map && v.size === 0);

export const unsupported = (field: string, why = 'is not supported by netd') => new NotImplementedError(`${field} ${why}`);

/** Fields netd does not honour: any value but the default is refused with 501, naming the field. */
const REFUSED: readonly (keyof HostConfigDto & string)[] = [
  'Privileged', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'GroupAdd', 'Ulimits', 'Init', 'MaskedPaths', 'ReadonlyPaths',
  'Annotations', 'StorageOpt', 'CgroupParent', 'Cgroup', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'KernelMemory', 'KernelMemoryTCP',
];
/** Windows-only resources: moby refuses them on Linux. */
const WINDOWS_ONLY: readonly (keyof HostConfigDto & string)[] = ['CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth'];

/** Config fields netd does not honour; a Healthcheck is checked as dockerd does. */
export function checkConfigOptions(c: ContainerCreateDto): void {
  containerHealthConfig(undefined, c.Healthcheck);
  if (c.NetworkDisabled) throw unsupported('Config.NetworkDisabled');
}

/**
 * HostConfig → the options netd applies, checked as dockerd checks them at create, with its
 * messages; anything netd would otherwise ignore is refused (501 naming the field).
 */
export function hostOptions(hc: HostConfigDto, host: HostLimits): HostOptions {
  for (const f of REFUSED) if (given(hc[f])) throw unsupported(`HostConfig.${f}`);
  for (const f of WINDOWS_ONLY) if (given(hc[f])) throw new InvalidParameterError(`invalid option: HostConfig.${f} is Windows only`);
  const warnings: string[] = [];

  if (hc.SecurityOpt?.some((o) => !/^no-new-privileges(?:[:=]true)?$/.test(o))) throw unsupported('HostConfig.SecurityOpt', `${JSON.stringify(hc.SecurityOpt)} is not supported by netd (only no-new-privileges, which is always on)`);
  const modes: [keyof HostConfigDto & string, readonly string[]][] = [
    ['IpcMode', ['', 'private', 'shareable']], ['UTSMode', ['']], ['UsernsMode', ['', 'host']], ['PidMode', ['', 'host']], ['CgroupnsMode', ['', 'host', 'private']],
  ];
  for (const [f, ok] of modes) {
    const v = (hc[f] as string | undefined) ?? '';
    if (!ok.includes(v)) throw unsupported(`HostConfig.${f} "${v}"`);
  }
  if (hc.Runtime && hc.Runtime !== 'runc') throw new InvalidParameterError(`unknown or invalid runtime name: ${hc.Runtime}`);
  if (hc.Isolation && hc.Isolation !== 'default') throw new InvalidParameterError(`Invalid isolation: "${hc.Isolation}" - Linux only supports 'default'`);
  const log = hc.LogConfig;
  if (log?.Type && log.Type !== 'json-file') throw unsupported(`HostConfig.LogConfig.Type "${log.Type}"`, 'is not supported by netd (json-file only)');
  if (given(log?.Config)) throw unsupported('HostConfig.LogConfig.Config');

  if (hc.OomScoreAdj !== undefined && hc.OomScoreAdj !== null && (hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000)) {
    throw new InvalidParameterError(`Invalid value ${hc.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if ((hc.ShmSize ?? 0) < 0) throw new InvalidParameterError('SHM size can not be less than 0');
  const cs = hc.ConsoleSize ?? [];
  if (cs.length !== 0 && (cs.length !== 2 || cs.some((n) => n < 0 || n > 65535))) throw new InvalidParameterError(`invalid ConsoleSize: ${JSON.stringify(cs)}`);

  return {
    resources: resources(hc, host, warnings),
    pidHost: hc.PidMode === 'host',
    cgroupns: hc.CgroupnsMode ? (hc.CgroupnsMode as 'host' | 'private') : undefined,
    shmSizeBytes: hc.ShmSize || undefined,
    oomScoreAdj: hc.OomScoreAdj || undefined,
    consoleSize: cs.length === 2 && cs[0] > 0 && cs[1] > 0 ? { height: cs[0], width: cs[1] } : undefined,
    warnings,
  };
}

export function resources(hc: HostConfigDto, host: HostLimits, warnings: string[]): ContainerResources | undefined {
  const memory = hc.Memory ?? 0;
  let swap = hc.MemorySwap ?? 0;
  const reservation = hc.MemoryReservation ?? 0;
  const swappiness = hc.MemorySwappiness ?? -1;
  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidParameterError('Minimum memory limit allowed is 6MB');
  if (memory === 0 && swap > 0) throw new InvalidParameterError('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (memory > 0 && swap > 0 && swap < memory) throw new InvalidParameterError('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (swap < -1) throw new InvalidParameterError(`invalid memory swap limit: ${swap}`);
  if (reservation !== 0 && reservation < MIN_MEMORY) throw new InvalidParameterError('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw new InvalidParameterError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new InvalidParameterError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  // dockerd's default swap is twice the memory limit, where the kernel can limit swap at all
  if (memory > 0 && swap === 0) swap = host.swapLimit ? memory * 2 : 0;
  if (swap > 0 && !host.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    swap = 0;
  }
  let useSwappiness = swappiness !== -1;
  if (useSwappiness && host.cgroupMode === 'v2') {
    warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
    useSwappiness = false;
  }
  if (hc.OomKillDisable && host.cgroupMode === 'v2') throw unsupported('HostConfig.OomKillDisable', 'is not supported on cgroup v2');
  if (hc.OomKillDisable && memory === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }

  const nano = hc.NanoCpus ?? 0;
  const period = hc.CpuPeriod ?? 0;
  const quota = hc.CpuQuota ?? 0;
  if (nano !== 0 && period !== 0) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano !== 0 && quota !== 0) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  const ncpu = host.cpus.size;
  // below 0.01 CPU the quota would be under the kernel's 1 ms minimum
  if (nano < 0 || nano > ncpu * 1e9 || (nano > 0 && nano < 1e7)) {
    throw new InvalidParameterError(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  }
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw new InvalidParameterError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (quota !== 0 && quota !== -1 && quota < 1000) throw new InvalidParameterError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const cpus = hc.CpusetCpus ? checkCpuset(hc.CpusetCpus, host.cpus, 'cpus') : undefined;
  const mems = hc.CpusetMems ? checkCpuset(hc.CpusetMems, host.mems, 'mems') : undefined;
  const sharesIn = hc.CpuShares ?? 0;
  const shares = sharesIn === 0 ? 0 : Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, sharesIn));
  if (shares !== sharesIn) warnings.push(`Changing requested CPUShares of ${sharesIn} to ${sharesIn < MIN_CPU_SHARES ? 'minimum' : 'maximum'} allowed of ${shares}`);
  const pids = hc.PidsLimit ?? 0;

  const r: ContainerResources = {
    ...(memory > 0 && { memory }),
    ...(swap !== 0 && { memorySwap: swap }),
    ...(reservation > 0 && { memoryReservation: reservation }),
    ...(useSwappiness && { memorySwappiness: swappiness }),
    ...(hc.OomKillDisable && { oomKillDisable: true }),
    ...(shares > 0 && { cpuShares: shares }),
    ...(nano > 0 && { nanoCpus: nano }),
    ...(period > 0 && { cpuPeriod: period }),
    ...(quota !== 0 && { cpuQuota: quota }),
    ...(cpus && { cpusetCpus: cpus }),
    ...(mems && { cpusetMems: mems }),
    // Docker: 0 and negative values mean unlimited
    ...(pids > 0 && { pidsLimit: pids }),
  };
  return Object.keys(r).length > 0 ? r : undefined;
}

/** `0-2,4`: well formed, and every CPU (memory node) in it available; Docker's messages. */
export function checkCpuset(text: string, available: ReadonlySet<number>, what: 'cpus' | 'mems'): string {
  const wanted = listToSet(text);
  if (!wanted) throw new InvalidParameterError(`Invalid value ${text} for cpuset ${what}`);
  if ([...wanted].some((n) => !available.has(n))) {
    const list = formatCpuset(available);
    throw new InvalidParameterError(
      what === 'cpus'
        ? `Requested CPUs are not available - requested ${text}, available: ${list}`
        : `Requested memory nodes are not available - requested ${text}, available: ${list}`,
    );
  }
  return text;
}

export function formatCpuset(s: ReadonlySet<number>): string {
  const sorted = [...s].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(',');
}
