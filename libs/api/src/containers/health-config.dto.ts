import { IsInt } from 'class-validator';
import { IsStringList, OptionalField } from '../validation';

/** Config.Healthcheck (durations in nanoseconds). */
export class HealthConfigDto {
  /** `[]` inherit, `["NONE"]` disable, `["CMD", ...]` or `["CMD-SHELL", "..."]`. */
  @OptionalField()
  @IsStringList()
  Test?: string[];

  @OptionalField()
  @IsInt()
  Interval?: number;

  @OptionalField()
  @IsInt()
  Timeout?: number;

  @OptionalField()
  @IsInt()
  StartPeriod?: number;

  @OptionalField()
  @IsInt()
  StartInterval?: number;

  @OptionalField()
  @IsInt()
  Retries?: number;
}
