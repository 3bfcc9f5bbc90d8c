import { ForbiddenError } from '@app/common';
import type { DriverCapabilities, NetworkDriver } from '@app/drivers/driver-api';

/** What a network of a driver the daemon does not offer is taken to be: an ordinary one (its driver's absence is reported where it is needed). */
const ORDINARY: DriverCapabilities = { usesPools: true, singleton: false, sandbox: 'endpoint' };

/** The drivers the daemon offers, by Docker's driver name (bridge, host, null, overlay). DI token. */
export abstract class DriverSet {
  abstract get(name: string): NetworkDriver | undefined;
  abstract names(): string[];

  /** The capabilities of the driver a network record names. */
  capabilitiesOf(driverName: string): DriverCapabilities {
    return this.get(driverName)?.capabilities ?? ORDINARY;
  }
}

export class MapDriverSet extends DriverSet {
  constructor(private readonly drivers: ReadonlyMap<string, NetworkDriver>) {
    super();
  }

  get(name: string): NetworkDriver | undefined {
    return this.drivers.get(name);
  }

  names(): string[] {
    return [...this.drivers.keys()].sort();
  }
}

/** Docker's texts (runconfig's ErrConflictHostNetwork and ErrConflictNoNetwork). */
export const HOST_NETWORK_CONFLICT = 'container cannot be disconnected from host network or connected to host network';
export const NONE_NETWORK_CONFLICT = 'container cannot be connected to multiple networks with one of the networks in private (none) mode';

/**
 * Docker's refusals of a connect to a network whose containers get no endpoint of their own: the
 * host's namespace (never connected or disconnected after create) or loopback only (no second network).
 */
export function refuseConnect(caps: DriverCapabilities): void {
  if (caps.sandbox === 'host') throw new ForbiddenError(HOST_NETWORK_CONFLICT);
  if (caps.sandbox === 'none') throw new ForbiddenError(NONE_NETWORK_CONFLICT);
}

/** Docker's refusal of a disconnect from the host's network. */
export function refuseDisconnect(caps: DriverCapabilities): void {
  if (caps.sandbox === 'host') throw new ForbiddenError(HOST_NETWORK_CONFLICT);
}
