import { IsString, MaxLength } from 'class-validator';
import { OptionalField } from '../validation';

/** One entry of HostConfig.PortBindings["80/tcp"]. */
export class PortBindingDto {
  @OptionalField()
  @IsString()
  @MaxLength(64)
  HostIp?: string;

  /** A port, `""`/`"0"` for any free one. */
  @OptionalField()
  @IsString()
  @MaxLength(16)
  HostPort?: string;
}
