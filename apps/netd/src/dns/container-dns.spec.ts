import type { ContainerRecord } from '@app/container';
import { containerDnsView } from './container-dns';

const record = (spec: Partial<ContainerRecord['spec']>, hostname = 'h1'): ContainerRecord =>
  ({ id: 'c'.repeat(64), name: '/c', hostname, spec: { lowers: [], cmd: [], network: { kind: 'host' }, ...spec } }) as unknown as ContainerRecord;

describe(containerDnsView.name, () => {
  it('takes hostname, --dns options and --add-host entries, host-gateway resolved', () => {
    const rec = record({
      dns: { dns: ['192.0.2.53'], dnsSearch: ['svc.local'], dnsOptions: ['timeout:2'] },
      extraHosts: ['host.docker.internal:host-gateway', 'db=10.0.0.5', 'db:[fd00::5]'],
    });
    expect(containerDnsView(rec, '172.17.0.1')).toEqual({
      hostname: 'h1',
      options: { dns: ['192.0.2.53'], dnsSearch: ['svc.local'], dnsOptions: ['timeout:2'] },
      extraHosts: { 'host.docker.internal': ['172.17.0.1'], db: ['10.0.0.5', 'fd00::5'] },
    });
  });

  it('skips host-gateway without a known gateway, and entries that do not parse, saying why', () => {
    const skipped: string[] = [];
    const view = containerDnsView(record({ extraHosts: ['host.docker.internal:host-gateway', 'x:not-an-ip', 'ok:10.0.0.1'] }), undefined, (e, why) => skipped.push(`${e}: ${why}`));
    expect(view.extraHosts).toEqual({ ok: ['10.0.0.1'] });
    expect(skipped).toEqual(['host.docker.internal:host-gateway: no host-gateway address is known', 'x:not-an-ip: invalid IP address in add-host: "not-an-ip"']);
  });

  it('has no extra hosts and empty options for a plain container', () => {
    expect(containerDnsView(record({}), '172.17.0.1')).toEqual({ hostname: 'h1', options: { dns: undefined, dnsSearch: undefined, dnsOptions: undefined }, extraHosts: undefined });
  });
});
