import type { Logger } from 'pino';
import type { ClusterBootConfig } from '../cluster/cluster-config';
import type { IpAddr } from '@app/common';
import type { AddressPoolConfig, LogLevel, NetdConfig } from './netd-config';

/**
 * What a reload (SIGHUP, as dockerd's) may change in a running daemon. Everything else in
 * daemon.json is read at start only: listeners, roots, the default bridge, TLS, the resolver mode…
 * A change to those is reported as needing a restart and not applied.
 */
export interface LiveTargets {
  setLogLevel(level: LogLevel): void;
  /** The embedded DNS's upstream servers and answer TTL (absent when DNS is off). */
  setDns?(upstreams: readonly IpAddr[], ttl: number): void;
  setInsecureRegistries(registries: readonly string[]): void;
  /** dockerd's default-address-pools: where new networks get subnets; [] = Docker's defaults. */
  setDefaultAddressPools(pools: readonly AddressPoolConfig[]): void;
  /** The cluster's node-timeout / reclaim-timeout. */
  setClusterTimeouts?(t: Pick<ClusterBootConfig, 'nodeTimeoutMs' | 'reclaimTimeoutMs'>): void;
}

type Key = keyof NetdConfig;

/** daemon.json's name of each config field (the flags map onto the same). */
const FILE_KEY: Partial<Record<Key, string>> = {
  tlsVerify: 'tlsverify',
  tlsCaCert: 'tlscacert',
  tlsCert: 'tlscert',
  tlsKey: 'tlskey',
};

export const fileKey = (k: Key): string => FILE_KEY[k] ?? k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const LIVE: readonly Key[] = ['logLevel', 'dns', 'dnsTtl', 'insecureRegistries', 'defaultAddressPools'];
const CLUSTER_JOIN: readonly (keyof ClusterBootConfig)[] = ['token', 'advertiseAddr', 'listenPort', 'bootstrap', 'name'];

/** A comparable text of a config value (Prefix and IpAddr by their canonical text). */
function canon(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) !== Object.prototype ? String(x) : x) ?? 'undefined';
}

export interface ReloadPlan {
  /** daemon.json keys whose value differs. */
  changed: string[];
  /** …of which applied now. */
  live: string[];
  /** …of which only a restart applies. */
  restart: string[];
  /** The configuration the daemon runs with after the reload: live keys new, the others as before. */
  effective: NetdConfig;
}

/** Compare the running configuration with a newly read one. Pure. */
export function planReload(current: NetdConfig, next: NetdConfig): ReloadPlan {
  const keys = [...new Set([...Object.keys(current), ...Object.keys(next)])] as Key[];
  const changed: string[] = [];
  const live: string[] = [];
  const restart: string[] = [];
  const effective: Record<string, unknown> = { ...current };
  for (const k of keys) {
    if (k === 'cluster') continue;
    if (canon(current[k]) === canon(next[k])) continue;
    changed.push(fileKey(k));
    if (LIVE.includes(k)) {
      live.push(fileKey(k));
      effective[k] = next[k];
    } else {
      restart.push(fileKey(k));
    }
  }
  const [a, b] = [current.cluster ?? {}, next.cluster ?? {}];
  const timeoutsChanged = a.nodeTimeoutMs !== b.nodeTimeoutMs || a.reclaimTimeoutMs !== b.reclaimTimeoutMs;
  const joinChanged = CLUSTER_JOIN.some((k) => canon(a[k]) !== canon(b[k]));
  if (timeoutsChanged) {
    changed.push('cluster.node-timeout/reclaim-timeout');
    live.push('cluster.node-timeout/reclaim-timeout');
  }
  if (joinChanged) {
    changed.push('cluster (join keys)');
    restart.push('cluster (join keys)');
  }
  if (timeoutsChanged || joinChanged) {
    // the join keys are read at start only: keep the old ones, take the new timeouts
    effective.cluster = { ...pick(a, CLUSTER_JOIN), nodeTimeoutMs: b.nodeTimeoutMs, reclaimTimeoutMs: b.reclaimTimeoutMs };
  }
  return { changed, live, restart, effective: effective as unknown as NetdConfig };
}

function pick<T extends object>(o: T, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * Apply a plan's live keys to the running daemon and log what changed and what waits for a
 * restart. Returns the effective configuration.
 */
export function applyReload(plan: ReloadPlan, targets: LiveTargets, log: Logger): NetdConfig {
  const c = plan.effective;
  for (const key of plan.live) {
    if (key === 'log-level') targets.setLogLevel(c.logLevel);
    else if (key === 'insecure-registries') targets.setInsecureRegistries(c.insecureRegistries);
    else if (key === 'default-address-pools') targets.setDefaultAddressPools(c.defaultAddressPools);
    else if (key.startsWith('cluster.')) targets.setClusterTimeouts?.({ nodeTimeoutMs: c.cluster?.nodeTimeoutMs, reclaimTimeoutMs: c.cluster?.reclaimTimeoutMs });
  }
  if (plan.live.includes('dns') || plan.live.includes('dns-ttl')) targets.setDns?.(c.dns, c.dnsTtl);
  if (plan.changed.length === 0) log.info('configuration reloaded: nothing changed');
  else log.info({ applied: plan.live, needsRestart: plan.restart }, `configuration reloaded: applied ${plan.live.join(', ') || 'nothing'}${plan.restart.length > 0 ? `; needs a restart: ${plan.restart.join(', ')}` : ''}`);
  if (plan.restart.length > 0) log.warn({ keys: plan.restart }, `changed keys that only apply at the next start: ${plan.restart.join(', ')}`);
  return c;
}
