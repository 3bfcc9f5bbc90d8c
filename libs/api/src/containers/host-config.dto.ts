import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsObject, IsString, ValidateNested } from 'class-validator';
import { DtoMapField, IsObjectList, IsStringList, OptionalField, StringMapField } from '../validation';
import { LogConfigDto } from './log-config.dto';
import { PortBindingDto } from './port-binding.dto';
import { RestartPolicyDto } from './restart-policy.dto';

/**
 * HostConfig of `POST /containers/create` (moby API 1.41–1.47), every field typed so a wrong JSON
 * type is a 400. What netd honours and what it refuses is decided by the daemon
 * (apps/netd/src/containers/create-options.ts); the docker CLI sends most fields empty.
 */
export class HostConfigDto {
  // --- networking
  /** `bridge`/`default`, `host`, `none`, `container:<id|name>` or a network name or id. */
  @OptionalField() @IsString() NetworkMode?: string;
  /** `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`. */
  @OptionalField() @DtoMapField(() => PortBindingDto, { list: true, what: 'port bindings' }) PortBindings?: Map<string, PortBindingDto[]>;
  @OptionalField() @IsBoolean() PublishAllPorts?: boolean;
  /** `name:alias` or `name`. */
  @OptionalField() @IsStringList() Links?: string[];
  @OptionalField() @IsStringList() Dns?: string[];
  @OptionalField() @IsStringList() DnsOptions?: string[];
  @OptionalField() @IsStringList() DnsSearch?: string[];
  /** `host:ip`, `host=ip`, `host:host-gateway`. */
  @OptionalField() @IsStringList() ExtraHosts?: string[];

  // --- lifecycle
  @OptionalField() @IsObject() @ValidateNested() @Type(() => RestartPolicyDto) RestartPolicy?: RestartPolicyDto;
  @OptionalField() @IsBoolean() AutoRemove?: boolean;
  @OptionalField() @IsObject() @ValidateNested() @Type(() => LogConfigDto) LogConfig?: LogConfigDto;
  /** Client side only (`--cidfile`). */
  @OptionalField() @IsString() ContainerIDFile?: string;
  /** `[height, width]` of the TTY. */
  @OptionalField() @IsArray() @IsInt({ each: true }) ConsoleSize?: number[];
  @OptionalField() @IsBoolean() Init?: boolean;
  @OptionalField() @IsString() Runtime?: string;
  @OptionalField() @IsString() Isolation?: string;
  @OptionalField() @StringMapField() Annotations?: Record<string, string>;

  // --- security and namespaces
  @OptionalField() @IsStringList() CapAdd?: string[];
  @OptionalField() @IsStringList() CapDrop?: string[];
  @OptionalField() @IsBoolean() Privileged?: boolean;
  @OptionalField() @IsBoolean() ReadonlyRootfs?: boolean;
  @OptionalField() @IsStringList() SecurityOpt?: string[];
  @OptionalField() @IsStringList() GroupAdd?: string[];
  @OptionalField() @IsInt() OomScoreAdj?: number;
  @OptionalField() @IsString() PidMode?: string;
  @OptionalField() @IsString() IpcMode?: string;
  @OptionalField() @IsString() UTSMode?: string;
  @OptionalField() @IsString() UsernsMode?: string;
  @OptionalField() @IsString() CgroupnsMode?: string;
  @OptionalField() @IsString() Cgroup?: string;
  @OptionalField() @StringMapField() Sysctls?: Record<string, string>;
  @OptionalField() @IsStringList() MaskedPaths?: string[];
  @OptionalField() @IsStringList() ReadonlyPaths?: string[];

  // --- storage
  @OptionalField() @IsStringList() Binds?: string[];
  @OptionalField() @IsObjectList() Mounts?: object[];
  @OptionalField() @IsStringList() VolumesFrom?: string[];
  @OptionalField() @IsString() VolumeDriver?: string;
  @OptionalField() @StringMapField() Tmpfs?: Record<string, string>;
  @OptionalField() @StringMapField() StorageOpt?: Record<string, string>;
  @OptionalField() @IsInt() ShmSize?: number;

  // --- resources
  @OptionalField() @IsInt() Memory?: number;
  @OptionalField() @IsInt() MemorySwap?: number;
  @OptionalField() @IsInt() MemoryReservation?: number;
  @OptionalField() @IsInt() MemorySwappiness?: number;
  @OptionalField() @IsBoolean() OomKillDisable?: boolean;
  @OptionalField() @IsInt() KernelMemory?: number;
  @OptionalField() @IsInt() KernelMemoryTCP?: number;
  @OptionalField() @IsInt() NanoCpus?: number;
  @OptionalField() @IsInt() CpuShares?: number;
  @OptionalField() @IsInt() CpuPeriod?: number;
  @OptionalField() @IsInt() CpuQuota?: number;
  @OptionalField() @IsInt() CpuRealtimePeriod?: number;
  @OptionalField() @IsInt() CpuRealtimeRuntime?: number;
  @OptionalField() @IsString() CpusetCpus?: string;
  @OptionalField() @IsString() CpusetMems?: string;
  @OptionalField() @IsInt() CpuCount?: number;
  @OptionalField() @IsInt() CpuPercent?: number;
  @OptionalField() @IsInt() PidsLimit?: number;
  @OptionalField() @IsString() CgroupParent?: string;
  @OptionalField() @IsInt() BlkioWeight?: number;
  @OptionalField() @IsObjectList() BlkioWeightDevice?: object[];
  @OptionalField() @IsObjectList() BlkioDeviceReadBps?: object[];
  @OptionalField() @IsObjectList() BlkioDeviceWriteBps?: object[];
  @OptionalField() @IsObjectList() BlkioDeviceReadIOps?: object[];
  @OptionalField() @IsObjectList() BlkioDeviceWriteIOps?: object[];
  @OptionalField() @IsInt() IOMaximumIOps?: number;
  @OptionalField() @IsInt() IOMaximumBandwidth?: number;
  @OptionalField() @IsObjectList() Devices?: object[];
  @OptionalField() @IsStringList() DeviceCgroupRules?: string[];
  @OptionalField() @IsObjectList() DeviceRequests?: object[];
  @OptionalField() @IsObjectList() Ulimits?: object[];
}
