import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsNetworkName, StringMapField, OptionalField, TEXT_MAX_LENGTH } from '../validation';
import { EndpointIpamConfigDto } from './endpoint-ipam-config.dto';

/** The configuration part of Docker's EndpointSettings; the operational fields are ignored. */
export class EndpointSettingsDto {
  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => EndpointIpamConfigDto)
  IPAMConfig?: EndpointIpamConfigDto;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @MaxLength(TEXT_MAX_LENGTH, { each: true })
  Links?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsNetworkName({ each: true, message: 'each alias must not be blank or hold control characters (at most 255 characters)' })
  Aliases?: string[];

  /** Requested MAC address; empty means "generate". */
  @OptionalField()
  @IsString()
  @MaxLength(32)
  MacAddress?: string;

  @IsOptional()
  @StringMapField()
  DriverOpts?: Record<string, string>;

  @OptionalField()
  @IsInt()
  GwPriority?: number;
}
