import { ArrayMaxSize, IsArray, IsOptional } from 'class-validator';
import { IsIpAddress, OptionalField } from '../validation';

/** Static addresses requested on connect (`--ip`, `--ip6`). */
export class EndpointIpamConfigDto {
  @OptionalField()
  @IsIpAddress({ family: 4 })
  IPv4Address?: string;

  @OptionalField()
  @IsIpAddress({ family: 6 })
  IPv6Address?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsIpAddress({}, { each: true })
  LinkLocalIPs?: string[];
}
