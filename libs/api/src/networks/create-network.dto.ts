import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { IsDriverName, IsNetworkName, StringMapField, OptionalField } from '../validation';
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

  /** Accepted for compatibility and ignored: names are always checked. */
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

  @OptionalField()
  @IsBoolean()
  ConfigOnly?: boolean;

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
