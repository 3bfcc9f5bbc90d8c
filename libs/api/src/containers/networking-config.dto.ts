import { DtoMapField, OptionalField } from '../validation';
import { EndpointSettingsDto } from '../networks/endpoint-settings.dto';

/** NetworkingConfig of a create request: endpoint settings by network name or id. */
export class NetworkingConfigDto {
  /** The docker CLI keys the default network as `default`. */
  @OptionalField()
  @DtoMapField(() => EndpointSettingsDto, { what: 'endpoint settings' })
  EndpointsConfig?: Map<string, EndpointSettingsDto>;
}
