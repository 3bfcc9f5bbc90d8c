import pino from 'pino';
import { applyReload, planReload, type LiveTargets } from './reload';
import { resolveConfig } from './netd-config';

const config = (file: Record<string, unknown>) => resolveConfig(file, {});

function targets() {
  const calls: [string, unknown][] = [];
  const t: Required<LiveTargets> = {
    setLogLevel: (l) => calls.push(['log', l]),
    setDns: (u, ttl) => calls.push(['dns', [u.map(String), ttl]]),
    setInsecureRegistries: (r) => calls.push(['registries', r]),
    setDefaultAddressPools: (p) => calls.push(['pools', p.map((x) => `${x.base}/${x.size}`)]),
    setClusterTimeouts: (c) => calls.push(['cluster', c]),
  };
  return { calls, t };
}

describe('planReload / applyReload', () => {
  it('applies the live keys and reports the rest as needing a restart, keeping their running values', () => {
    const before = config({ 'log-level': 'info', bridge: 'netd0', 'default-address-pools': [{ base: '10.1.0.0/16', size: 24 }] });
    const after = config({
      'log-level': 'debug', bridge: 'other0', dns: ['192.0.2.53'], 'dns-ttl': 30, 'insecure-registries': ['reg.lan:5000'],
      'default-address-pools': [{ base: '10.2.0.0/16', size: 24 }], 'data-root': '/srv/netd',
    });
    const plan = planReload(before, after);
    expect(plan.live.sort()).toEqual(['default-address-pools', 'dns', 'dns-ttl', 'insecure-registries', 'log-level']);
    expect(plan.restart.sort()).toEqual(['bridge', 'data-root']);
    expect(plan.effective).toMatchObject({ logLevel: 'debug', dnsTtl: 30, bridge: 'netd0', dataRoot: '/var/lib/netd' });
    const { calls, t } = targets();
    const log = pino({ level: 'silent' });
    expect(applyReload(plan, t, log)).toBe(plan.effective);
    expect(Object.fromEntries(calls)).toEqual({
      log: 'debug',
      dns: [['192.0.2.53'], 30],
      registries: ['reg.lan:5000'],
      pools: ['10.2.0.0/16/24'],
    });
  });

  it('sees no change in an equal configuration (prefixes and addresses compared by value)', () => {
    const file = { dns: ['192.0.2.1'], 'default-address-pools': [{ base: '10.1.0.0/16', size: 24 }], bip: '172.30.0.1/16' };
    const plan = planReload(config(file), config(file));
    expect(plan).toMatchObject({ changed: [], live: [], restart: [] });
  });

  it('applies cluster timeouts and keeps the join keys until a restart', () => {
    const before = config({ cluster: { 'node-timeout': 10 } });
    const after = config({ cluster: { 'node-timeout': 20, 'reclaim-timeout': 600 } });
    const plan = planReload(before, after);
    expect(plan.live).toEqual(['cluster.node-timeout/reclaim-timeout']);
    const { calls, t } = targets();
    applyReload(plan, t, pino({ level: 'silent' }));
    expect(calls).toEqual([['cluster', { nodeTimeoutMs: 20_000, reclaimTimeoutMs: 600_000 }]]);
  });
});
