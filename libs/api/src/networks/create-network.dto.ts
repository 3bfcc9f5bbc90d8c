import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { IsDriverName, IsNetworkName, StringMapField, OptionalField } from '../validation';
import { ConfigFromDto } from './config-from.dto';
import { IpamDto } from './ipam.dto';

/** Body of `POST /networks/create` (Docker's NetworkCreateRequest). Unknown fields are ignored. */
export class CreateNetworkDto {
  @IsString()
  @IsNetworkName()
  Name!: string;

  /** Default: bridge. */
  @OptionalField()
  @IsDriverName()
  Driver?: string;

  @OptionalField()
  @IsIn(['local', 'swarm', 'global', ''])
  Scope?: string;

  /** Before API 1.44, a taken name is refused only when this is true (dockerd's rule). */
  @OptionalField()
  @IsBoolean()
  CheckDuplicate?: boolean;

  @OptionalField()
  @IsBoolean()
  Internal?: boolean;

  @OptionalField()
  @IsBoolean()
  Attachable?: boolean;

  @OptionalField()
  @IsBoolean()
  Ingress?: boolean;

  /** Config-only networks are not implemented: true is refused with 501. */
  @OptionalField()
  @IsBoolean()
  ConfigOnly?: boolean;

  /** Refused with 501 when it names a network (config-only networks are not implemented). */
  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => ConfigFromDto)
  ConfigFrom?: ConfigFromDto;

  @OptionalField()
  @IsBoolean()
  EnableIPv4?: boolean;

  @OptionalField()
  @IsBoolean()
  EnableIPv6?: boolean;

  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => IpamDto)
  IPAM?: IpamDto;

  /** Driver options (`-o`), parsed by the driver. */
  @IsOptional()
  @StringMapField()
  Options?: Record<string, string>;

  @IsOptional()
  @StringMapField()
  Labels?: Record<string, string>;
}
