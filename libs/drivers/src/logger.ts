/**
 * The slice of pino's Logger the drivers use, so that a pino logger (or a child of one) can be
 * passed as is, and tests can pass nothing.
 */
export interface DriverLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const NOOP_LOGGER: DriverLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
