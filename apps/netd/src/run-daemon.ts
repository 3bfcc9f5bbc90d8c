import { CommanderError } from 'commander';
import type { NetdConfig } from './config/netd-config';
import { loadConfig } from './config/cli-args';
import { startDaemon } from './daemon';
import { realKernel } from './kernel/real-kernel';
import { claimPidFile, type PidFile } from './lifecycle/pid-file';
import { ensurePrivateDir } from './lifecycle/private-dir';
import { createLogger, setLogLevel } from './logger';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { applyReload, planReload, type LiveTargets } from './config/reload';
import { notifierFromEnv, type Notifier } from './service/sd-notify';
import type { Services } from './composition-root';
import { DefaultIpam } from '@app/ipam';

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
  let notifier: Notifier | undefined;
  try {
    notifier = notifierFromEnv();
  } catch (e) {
    log.warn({ err: e }, 'cannot talk to the service manager (NOTIFY_SOCKET); running without notifications');
  }
  // until the reload handler is in place, SIGHUP's default action would end the process
  const hupWhileStarting = () => log.info('reload ignored: netd is still starting');
  process.on('SIGHUP', hupWhileStarting);
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
    notifier?.notify(`STATUS=failed to start: ${(e as Error).message}`.slice(0, 1024));
    notifier?.close();
    return 1;
  }
  log.info({ listeners: daemon.listeners.map((l) => l.address), dataRoot: config.dataRoot }, 'netd ready');
  // every listener is open: systemd may start what depends on netd
  notifier?.notify(`READY=1\nSTATUS=serving on ${daemon.listeners.map((l) => l.address).join(', ')}\nMAINPID=${process.pid}`);
  notifier?.startWatchdog();
  const d = daemon;
  // SIGHUP (systemctl reload): re-read daemon.json and the flags; a bad file keeps the running config
  const onHangup = () => {
    notifier?.notify(`RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`);
    try {
      const plan = planReload(d.rt.config, loadConfig(argv));
      // in place: every service reads the one config object; the keys that need a restart keep their values
      Object.assign(d.rt.config as { -readonly [K in keyof NetdConfig]: NetdConfig[K] }, applyReload(plan, liveTargets(d.rt, log), log));
    } catch (e) {
      log.error({ err: e }, `reload failed, the running configuration stays: ${(e as Error).message}`);
    }
    notifier?.notify('READY=1');
  };
  process.off('SIGHUP', hupWhileStarting);
  process.on('SIGHUP', onHangup);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
        return resolve();
      }
      stopping = true;
      process.off('SIGHUP', onHangup);
      // a SIGHUP during the shutdown must not kill the process with its default action
      process.on('SIGHUP', () => log.info('reload ignored: shutting down'));
      notifier?.notify('STOPPING=1');
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
  notifier?.close();
  log.info('netd stopped');
  return 0;
}

/** The running daemon's parts a reload may change. */
function liveTargets(rt: Services, log: Logger): LiveTargets {
  return {
    setLogLevel: (level) => setLogLevel(log, level),
    setDns: (upstreams, ttl) => rt.dns.reconfigure(upstreams.map(String), ttl),
    setInsecureRegistries: (registries) => rt.images.setInsecureRegistries(registries),
    setDefaultAddressPools: (pools) => {
      if (!(rt.ipam instanceof DefaultIpam)) throw new Error('this IPAM cannot change its pools while running');
      rt.ipam.setLocalPools(pools);
    },
    setClusterTimeouts: (t) => rt.cluster.setTimeouts(t),
  };
}
