import pino, { Logger } from 'pino';
import type { LogLevel } from './config/netd-config';

/** Structured logs to stderr (stdout stays free, as dockerd's). */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { name: 'netd' } }, pino.destination({ fd: 2, sync: true }));
}
