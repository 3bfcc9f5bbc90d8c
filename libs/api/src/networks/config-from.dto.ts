import { IsString } from 'class-validator';
import { OptionalField } from '../validation';

/** Docker's `ConfigFrom`: the config-only network a network takes its configuration from. */
export class ConfigFromDto {
  @OptionalField()
  @IsString()
  Network?: string;
}
