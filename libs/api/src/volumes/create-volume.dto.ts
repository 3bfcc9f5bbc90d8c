import 'reflect-metadata';
import { IsObject, IsString, MaxLength } from 'class-validator';
import { IsStringMap, NAME_MAX_LENGTH, OptionalField } from '../validation';

/** Body of `POST /volumes/create` (Docker's VolumeCreateOptions). Unknown fields are ignored. */
export class CreateVolumeDto {
  /** Absent or empty: the daemon picks a 64-hex name. The name's characters are checked by libs/volume. */
  @OptionalField()
  @IsString()
  @MaxLength(NAME_MAX_LENGTH * 4)
  Name?: string;

  /** Absent or empty: `local`. */
  @OptionalField()
  @IsString()
  @MaxLength(NAME_MAX_LENGTH)
  Driver?: string;

  /** The driver's options (`-o`). */
  @OptionalField()
  @IsObject()
  @IsStringMap()
  DriverOpts?: Record<string, string>;

  @OptionalField()
  @IsObject()
  @IsStringMap()
  Labels?: Record<string, string>;

  /** Swarm cluster volumes: refused when set (netd has no swarm). */
  @OptionalField()
  @IsObject()
  ClusterVolumeSpec?: Record<string, unknown>;
}
