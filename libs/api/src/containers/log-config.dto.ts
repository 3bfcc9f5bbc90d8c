import { IsString, MaxLength } from 'class-validator';
import { OptionalField, StringMapField } from '../validation';

/** HostConfig.LogConfig. */
export class LogConfigDto {
  @OptionalField()
  @IsString()
  @MaxLength(64)
  Type?: string;

  @OptionalField()
  @StringMapField()
  Config?: Record<string, string>;
}
