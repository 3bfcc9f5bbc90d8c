import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsObject, IsString, Length, ValidateNested } from 'class-validator';
import { OptionalField } from '../validation';
import { EndpointSettingsDto } from './endpoint-settings.dto';

/** Body of `POST /networks/{id}/connect`. `Container` is a sandbox (container) name or id. */
export class ConnectNetworkDto {
  @IsString()
  @Length(1, 255)
  Container!: string;

  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => EndpointSettingsDto)
  EndpointConfig?: EndpointSettingsDto;
}
