import { CommanderError } from 'commander';
import type { NetdConfig } from './config/netd-config';
import { loadConfig } from './config/cli-args';
import { startDaemon } from './daemon';
import { realKernel } from './kernel/real-kernel';
import { claimPidFile, type PidFile } from './lifecycle/pid-file';
import { ensurePrivateDir } from './lifecycle/private-dir';
import { createLogger } from './logger';
import { join } from 'node:path';

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
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down: finishing in-flight requests; networks and endpoints stay (live restore)');
      d.stop().then(resolve, (e) => {
        log.error({ err: e }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  pidFile.release();
  log.info('netd stopped');
  return 0;
}
