import { CommanderError } from 'commander';
import type { NetdConfig } from './config/netd-config';
import { loadConfig } from './config/cli-args';
import { startDaemon } from './daemon';
import { realKernel } from './kernel/real-kernel';
import { claimPidFile, type PidFile } from './lifecycle/pid-file';
import { ensurePrivateDir } from './lifecycle/private-dir';
import { createLogger } from './logger';
import { join } from 'node:path';

/** How long in-flight requests get to finish once a stop signal came. */
const STOP_GRACE_MS = 5_000;
/** When the process exits whatever the shutdown is still doing. */
const STOP_DEADLINE_MS = 15_000;

/** The daemon's whole life from argv to exit code: config, start, serve until SIGTERM/SIGINT. */
export async function runDaemon(argv: readonly string[]): Promise<number> {
  let config: NetdConfig;
  try {
    config = loadConfig(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`netd: ${(e as Error).message}\n`);
    return 2;
  }
  const log = createLogger(config.logLevel);
  let pidFile: PidFile;
  try {
    ensurePrivateDir(config.dataRoot, 'data root');
    ensurePrivateDir(config.execRoot, 'exec root');
    pidFile = claimPidFile(join(config.dataRoot, 'netd.pid'));
  } catch (e) {
    log.fatal({ err: e }, `netd failed to start: ${(e as Error).message}`);
    return 1;
  }
  let daemon;
  try {
    daemon = await startDaemon(config, realKernel(config), log);
  } catch (e) {
    pidFile.release();
    log.fatal({ err: e }, 'netd failed to start');
    return 1;
  }
  log.info({ listeners: daemon.listeners.map((l) => l.address), dataRoot: config.dataRoot }, 'netd ready');
  const d = daemon;
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
        return resolve();
      }
      stopping = true;
      log.info({ signal, graceMs: STOP_GRACE_MS }, 'shutting down: ending streams, finishing in-flight requests; networks, endpoints and containers stay (live restore)');
      // whatever hangs in the shutdown itself, the process ends
      const deadline = setTimeout(() => {
        log.error({ deadlineMs: STOP_DEADLINE_MS }, 'shutdown did not finish in time; exiting');
        resolve();
      }, STOP_DEADLINE_MS);
      d.stop(STOP_GRACE_MS).then(
        () => {
          clearTimeout(deadline);
          resolve();
        },
        (e) => {
          clearTimeout(deadline);
          log.error({ err: e }, 'shutdown failed');
          resolve();
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  pidFile.release();
  log.info('netd stopped');
  return 0;
}
