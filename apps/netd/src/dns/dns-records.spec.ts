import type { EndpointRecord, SandboxRecord, StateStore } from '../store/state-store';
import { dnsEndpoint, linkAliases } from './dns-records';

const DB = 'd'.repeat(64);
const GONE = 'e'.repeat(64);
const sandboxes = [{ id: DB, name: 'db' }, { id: 'w'.repeat(64), name: 'web' }] as SandboxRecord[];
const store = {
  sandboxById: (id: string) => sandboxes.find((s) => s.id === id),
  sandboxByName: (name: string) => sandboxes.find((s) => s.name === name),
} as unknown as StateStore;

const ep = (extra: Partial<EndpointRecord>): EndpointRecord => ({
  id: 'e1', networkId: 'n1', sandboxId: 'w'.repeat(64), ifname: 'eth0', ipv4: '10.0.0.2/24', aliases: [], state: 'active', ...extra,
});

describe('linkAliases', () => {
  it('maps a link by id to the target\'s name, and one to a container yet to come to its name', () => {
    const links = [{ container: DB, alias: 'database' }, { container: 'later', alias: 'up' }];
    expect(linkAliases(store, ep({ links }))).toEqual({ database: 'db', up: 'later' });
  });

  it('skips a target id that no longer exists and names no DNS query can carry', () => {
    const links = [{ container: GONE, alias: 'old' }, { container: 'db', alias: '-x' }, { container: 'a b', alias: 'y' }];
    expect(linkAliases(store, ep({ links }))).toBeUndefined();
  });
});

describe('dnsEndpoint', () => {
  it('serves the aliases that are DNS names and keeps the endpoint when one is not', () => {
    expect(dnsEndpoint(store, ep({ aliases: ['www', '-dash', 'a b'] }))?.aliases).toEqual(['www']);
  });
});
