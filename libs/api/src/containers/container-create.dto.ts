import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsString, MinLength, ValidateNested } from 'class-validator';
import { IsStringList, IsStrSlice, ObjectMapField, OptionalField, StringMapField } from '../validation';
import { HealthConfigDto } from './health-config.dto';
import { HostConfigDto } from './host-config.dto';
import { NetworkingConfigDto } from './networking-config.dto';

/**
 * Body of `POST /containers/create`: Docker's ContainerConfig with HostConfig and
 * NetworkingConfig. Unknown fields are ignored, as dockerd ignores them; a known field of the
 * wrong JSON type is a 400. Values are checked by the daemon (they need state or the host).
 */
export class ContainerCreateDto {
  @IsString({ message: 'config cannot be empty in order to create a container' })
  @MinLength(1, { message: 'config cannot be empty in order to create a container' })
  Image!: string;

  @OptionalField() @IsString() Hostname?: string;
  @OptionalField() @IsString() Domainname?: string;
  /** `name|uid[:group|gid]`, resolved against the image at create. */
  @OptionalField() @IsString() User?: string;
  @OptionalField() @IsBoolean() AttachStdin?: boolean;
  @OptionalField() @IsBoolean() AttachStdout?: boolean;
  @OptionalField() @IsBoolean() AttachStderr?: boolean;
  /** `{"80/tcp": {}}`. */
  @OptionalField() @ObjectMapField() ExposedPorts?: Record<string, object | null>;
  @OptionalField() @IsBoolean() Tty?: boolean;
  @OptionalField() @IsBoolean() OpenStdin?: boolean;
  @OptionalField() @IsBoolean() StdinOnce?: boolean;
  @OptionalField() @IsStringList() Env?: string[];
  @OptionalField() @IsStrSlice() Cmd?: string[] | string | null;
  @OptionalField() @IsObject() @ValidateNested() @Type(() => HealthConfigDto) Healthcheck?: HealthConfigDto;
  /** Windows only. */
  @OptionalField() @IsBoolean() ArgsEscaped?: boolean;
  @OptionalField() @ObjectMapField() Volumes?: Record<string, object | null>;
  @OptionalField() @IsString() WorkingDir?: string;
  /** `null` clears the image's entrypoint, as does `[""]`. */
  @OptionalField() @IsStrSlice() Entrypoint?: string[] | string | null;
  @OptionalField() @IsBoolean() NetworkDisabled?: boolean;
  /** Before API 1.44 the MAC address of the first network's endpoint. */
  @OptionalField() @IsString() MacAddress?: string;
  /** Build triggers: kept by image commit only. */
  @OptionalField() @IsStringList() OnBuild?: string[];
  @OptionalField() @StringMapField() Labels?: Record<string, string>;
  @OptionalField() @IsString() StopSignal?: string;
  @OptionalField() @IsInt() StopTimeout?: number;
  /** Used by builds only. */
  @OptionalField() @IsStrSlice() Shell?: string[] | string;

  @OptionalField() @IsObject() @ValidateNested() @Type(() => HostConfigDto) HostConfig?: HostConfigDto;
  @OptionalField() @IsObject() @ValidateNested() @Type(() => NetworkingConfigDto) NetworkingConfig?: NetworkingConfigDto;
}
