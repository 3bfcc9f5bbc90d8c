import { IsInt, IsString } from 'class-validator';
import { OptionalField } from '../validation';

/** HostConfig.RestartPolicy; the values are checked by the restart-policy rules. */
export class RestartPolicyDto {
  @OptionalField()
  @IsString()
  Name?: string;

  @OptionalField()
  @IsInt()
  MaximumRetryCount?: number;
}
