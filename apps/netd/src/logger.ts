import pino, { Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config/netd-config';

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON; default: when stderr is a terminal. */
  pretty?: boolean;
}

/** Every logger made from a root logger, for {@link setLogLevel} (pino children copy the level once). */
const FAMILY = new WeakMap<Logger, Set<WeakRef<Logger>>>();

/**
 * Structured logs to stderr (stdout stays free, as dockerd's): JSON lines for journald and log
 * shippers, pino-pretty's lines when a person watches a terminal. Both write synchronously, so
 * the lines before an exit are never lost (pino's transports would run in a worker thread).
 */
export function createLogger(level: LogLevel, opts: LoggerOptions = {}): Logger {
  const human = opts.pretty ?? process.stderr.isTTY === true;
  const family = new Set<WeakRef<Logger>>();
  const options = {
    level,
    base: { name: 'netd' },
    onChild(child: Logger) {
      family.add(new WeakRef(child));
    },
  };
  const root = human
    ? pino(options, pretty({ destination: 2, sync: true, colorize: opts.pretty === undefined, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }))
    : pino(options, pino.destination({ fd: 2, sync: true }));
  FAMILY.set(root, family);
  return root;
}

/** Change the level of a root logger made by {@link createLogger} and of every child made from it. */
export function setLogLevel(root: Logger, level: LogLevel): void {
  root.level = level;
  const family = FAMILY.get(root);
  if (!family) return;
  for (const ref of family) {
    const child = ref.deref();
    if (child) child.level = level;
    else family.delete(ref);
  }
}
