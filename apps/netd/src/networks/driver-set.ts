import type { NetworkDriver } from '@app/drivers/driver-api';

/** The drivers the daemon offers, by Docker's driver name (bridge, host, null). DI token. */
export abstract class DriverSet {
  abstract get(name: string): NetworkDriver | undefined;
  abstract names(): string[];
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
