import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsObject, IsOptional, ValidateNested } from 'class-validator';
import { StringMapField, OptionalField } from '../validation';
import { IpamPoolDto } from './ipam-pool.dto';

/** Docker's IPAM object. Only the built-in "default" IPAM driver exists. */
export class IpamDto {
  @OptionalField()
  @IsIn(['default', ''], { message: 'IPAM.Driver must be "default"' })
  Driver?: string;

  @OptionalField()
  @IsArray()
  @ArrayMaxSize(16)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => IpamPoolDto)
  Config?: IpamPoolDto[];

  @IsOptional()
  @StringMapField()
  Options?: Record<string, string>;
}
