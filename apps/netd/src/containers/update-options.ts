import type { HostConfigDto } from '@app/api/containers';
import { InvalidParameterError } from '@app/common';
import { restartPolicy, type ContainerRecord, type ContainerResources, type HostLimits, type RestartPolicy } from '@app/container';
import { resources, unsupported } from './create-options';

/** What `POST /containers/{id}/update` changes; fields not given keep their values. */
export interface UpdateRequest {
  readonly resources?: ContainerResources;
  readonly restartPolicy?: RestartPolicy;
}

/** Fields of Docker's UpdateConfig (Resources + RestartPolicy) netd applies. */
const NUMBERS = ['Memory', 'MemorySwap', 'MemoryReservation', 'CpuShares', 'CpuQuota', 'CpuPeriod', 'NanoCpus', 'PidsLimit'] as const;
const STRINGS = ['CpusetCpus', 'CpusetMems'] as const;
/** The rest of UpdateConfig: the docker CLI sends them all, zero-valued; any other value is refused. */
const REFUSED = [
  'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps',
  'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemory', 'KernelMemoryTCP',
  'MemorySwappiness', 'OomKillDisable', 'Ulimits',
];
const WINDOWS_ONLY = ['CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth'];
const KNOWN = new Set<string>([...NUMBERS, ...STRINGS, ...REFUSED, ...WINDOWS_ONLY, 'RestartPolicy']);

const zero = (v: unknown) =>
  v === undefined || v === null || v === 0 || v === '' || v === false || (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/**
 * The update body checked as dockerd checks it (its messages), against the container's current
 * limits. Zero values mean "unchanged", as in Docker's UpdateConfig. Nothing is looked up or
 * changed here.
 */
export function parseUpdate(body: unknown, current: ContainerRecord, host: HostLimits): UpdateRequest {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameterError('invalid update config: expected a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!KNOWN.has(k)) throw new InvalidParameterError(`invalid update config: unknown field "${k}"`);
  for (const k of NUMBERS) {
    if (b[k] !== undefined && b[k] !== null && !Number.isSafeInteger(b[k])) throw new InvalidParameterError(`invalid update config: ${k} must be an integer`);
  }
  for (const k of STRINGS) if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') throw new InvalidParameterError(`invalid update config: ${k} must be a string`);
  for (const k of WINDOWS_ONLY) if (!zero(b[k])) throw new InvalidParameterError(`invalid option: ${k} is Windows only`);
  for (const k of REFUSED) if (!zero(b[k])) throw unsupported(k, 'cannot be updated by netd');

  let policy: RestartPolicy | undefined;
  const rp = b.RestartPolicy;
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== 'object' || Array.isArray(rp)) throw new InvalidParameterError('invalid update config: RestartPolicy must be an object');
    const { Name, MaximumRetryCount, ...rest } = rp as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new InvalidParameterError(`invalid update config: unknown field "RestartPolicy.${Object.keys(rest)[0]}"`);
    if ((Name !== undefined && typeof Name !== 'string') || (MaximumRetryCount !== undefined && !Number.isSafeInteger(MaximumRetryCount))) {
      throw new InvalidParameterError('invalid update config: RestartPolicy has the wrong type');
    }
    if (Name) {
      policy = restartPolicy({ name: Name, maximumRetryCount: MaximumRetryCount as number | undefined });
      if (current.spec.autoRemove && policy.name !== 'no') {
        throw new InvalidParameterError(`Cannot update container ${current.id}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
      }
    }
  }

  const given = Object.fromEntries([...NUMBERS, ...STRINGS].filter((k) => !zero(b[k])).map((k) => [k, b[k]])) as Partial<HostConfigDto>;
  const now = current.spec.resources ?? {};
  if (given.Memory !== undefined && given.MemorySwap === undefined && (now.memorySwap ?? 0) > 0 && given.Memory > now.memorySwap!) {
    throw new InvalidParameterError(`Cannot update container ${current.id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`);
  }
  if (given.NanoCpus && (now.cpuQuota ?? 0) > 0) {
    throw new InvalidParameterError(`Cannot update container ${current.id}: Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set`);
  }
  if (given.CpuQuota && (now.nanoCpus ?? 0) > 0) {
    throw new InvalidParameterError(`Cannot update container ${current.id}: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set`);
  }
  // Checked with what the container has, so a new swap is compared with the memory it keeps.
  const merged = { Memory: now.memory, MemoryReservation: now.memoryReservation, ...given } as HostConfigDto;
  if (given.MemorySwap !== undefined || merged.Memory) merged.MemorySwap = given.MemorySwap ?? now.memorySwap ?? -1;
  resources(merged, host, []);
  const out = resources(given as HostConfigDto, host, []) ?? {};
  // create's default swap (twice the memory) is not an update's: swap stays as it is
  const { memorySwap: _defaultSwap, ...rest } = out;
  const changes: ContainerResources = {
    ...rest,
    ...(given.MemorySwap !== undefined ? { memorySwap: given.MemorySwap } : {}),
    ...(given.PidsLimit !== undefined ? { pidsLimit: given.PidsLimit > 0 ? given.PidsLimit : -1 } : {}),
  };
  return {
    ...(Object.keys(changes).length > 0 ? { resources: changes } : {}),
    ...(policy ? { restartPolicy: policy } : {}),
  };
}
