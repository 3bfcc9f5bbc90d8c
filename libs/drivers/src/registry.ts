import { ConflictError, NotFoundError } from '@app/common';
import type { DriverType, NetworkDriver } from './driver-api';

/** The drivers the daemon knows, by Docker's type name (libnetwork's drivers_linux.go table). */
export class DriverRegistry {
  private readonly drivers = new Map<string, NetworkDriver>();

  constructor(drivers: readonly NetworkDriver[] = []) {
    for (const d of drivers) this.register(d);
  }

  /** Conflict when a driver of that type is already registered. */
  register(driver: NetworkDriver): void {
    if (this.drivers.has(driver.type)) throw new ConflictError(`driver "${driver.type}" is already registered`);
    this.drivers.set(driver.type, driver);
  }

  /** The driver for `type`; NotFound with Docker's text for an unknown one. */
  get(type: string): NetworkDriver {
    const d = this.drivers.get(type);
    if (!d) throw new NotFoundError(`plugin "${type}" not found`);
    return d;
  }

  has(type: string): type is DriverType {
    return this.drivers.has(type);
  }

  list(): NetworkDriver[] {
    return [...this.drivers.values()];
  }
}
