import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsCidr, IsIpAddress, StringMapField, OptionalField } from '../validation';

/** One entry of IPAM.Config[]. Subnet and IPRange are only shape-checked; IPAM checks meaning. */
export class IpamPoolDto {
  /** Checked by IPAM, which answers with Docker's own "Invalid subnet …" text. */
  @OptionalField()
  @IsString()
  @MaxLength(64)
  Subnet?: string;

  @OptionalField()
  @IsCidr()
  IPRange?: string;

  @OptionalField()
  @IsIpAddress()
  Gateway?: string;

  /** name → address reserved in the pool (never handed out). */
  @IsOptional()
  @StringMapField()
  AuxiliaryAddresses?: Record<string, string>;
}
