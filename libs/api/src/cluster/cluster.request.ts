import 'reflect-metadata';
import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/** Longest address, token or name the cluster API takes. */
const CLUSTER_TEXT_MAX_LENGTH = 8192;
const BOOTSTRAP_MAX = 64;

function check(name: string, validate: (value: unknown) => boolean, message: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name, validator: { validate, defaultMessage: () => message } }, options);
}

const isText = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= CLUSTER_TEXT_MAX_LENGTH;

/** A required, non-empty string. */
function IsText(field: string): PropertyDecorator {
  return check('isClusterText', isText, `${field} must be a non-empty string`);
}

/** Absent, null or '' mean "not given" (the daemon's default). */
function Omittable(): PropertyDecorator {
  return ValidateIf((_obj, v) => v !== undefined && v !== null && v !== '');
}

function IsIntBetween(field: string, min: number, max: number): PropertyDecorator {
  return check('isIntBetween', (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max, `${field} must be an integer between ${min} and ${max}`);
}

function IsBool(field: string): PropertyDecorator {
  return check('isBool', (v) => typeof v === 'boolean', `${field} must be a boolean`);
}

/** `ListenPort`: absent or 0 for the default port. */
function ListenPort(): PropertyDecorator {
  const decorate = [ValidateIf((_obj, v) => v !== undefined && v !== null && v !== 0), IsIntBetween('ListenPort', 1, 65535)];
  return (target, key) => decorate.forEach((d) => d(target, key));
}

/** Body of `POST /netd/cluster/init`. */
export class ClusterInitDto {
  @IsText('AdvertiseAddr')
  AdvertiseAddr!: string;

  @ListenPort()
  ListenPort?: number;

  @Omittable()
  @IsText('Name')
  Name?: string;
}

/** Body of `POST /netd/cluster/join`: init's fields, the token and extra bootstrap nodes. */
export class ClusterJoinDto extends ClusterInitDto {
  @IsText('Token')
  Token!: string;

  /** Extra DHT bootstrap nodes, `ip:port`. */
  @ValidateIf((_obj, v) => v !== undefined && v !== null)
  @check('isBootstrapList', (v) => Array.isArray(v) && v.length <= BOOTSTRAP_MAX && v.every(isText), 'Bootstrap must be a list of ip:port strings')
  Bootstrap?: string[];
}

/** Body of `POST /netd/cluster/networks`. */
export class ClusterNetworkCreateDto {
  @IsText('Name')
  Name!: string;

  @IsText('Subnet')
  Subnet!: string;

  @Omittable()
  @IsText('Gateway')
  Gateway?: string;

  /** Prefix length of the blocks each host takes from the subnet. */
  @ValidateIf((_obj, v) => v !== undefined && v !== null)
  @IsIntBetween('BlockLength', 1, 30)
  BlockLength?: number;

  @ValidateIf((_obj, v) => v !== undefined && v !== null)
  @IsBool('Internal')
  Internal?: boolean;

  @ValidateIf((_obj, v) => v !== undefined && v !== null)
  @IsBool('Attachable')
  Attachable?: boolean;
}
