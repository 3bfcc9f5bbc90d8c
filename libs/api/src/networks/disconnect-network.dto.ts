import { IsBoolean, IsString, Length } from 'class-validator';
import { OptionalField } from '../validation';

/** Body of `POST /networks/{id}/disconnect`. */
export class DisconnectNetworkDto {
  @IsString()
  @Length(1, 255)
  Container!: string;

  @OptionalField()
  @IsBoolean()
  Force?: boolean;
}
