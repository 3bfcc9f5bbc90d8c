import type { ContainerInspect } from '@app/api/containers';
import type { NetworkSummary } from '@app/api';
import { containerForVersion, networkForVersion } from './versioned-views';

const ID = 'a'.repeat(64);
const network = { Name: 'n', Id: ID, EnableIPv4: true, EnableIPv6: false } as unknown as NetworkSummary;
const ep = (aliases: string[] | null) => ({ Aliases: aliases, IPAddress: '10.0.0.2' });
const container = {
  Id: ID,
  Config: { Hostname: 'web-host' },
  NetworkSettings: { Networks: { front: ep(['www']), back: ep(null), bridge: ep(null) } },
} as unknown as ContainerInspect;

describe('networkForVersion', () => {
  it('shows EnableIPv4 from API 1.47 on, not before', () => {
    expect(networkForVersion(network, [1, 47])).toHaveProperty('EnableIPv4', true);
    expect(networkForVersion(network, [1, 41])).not.toHaveProperty('EnableIPv4');
    expect(networkForVersion(network, [1, 41])).toMatchObject({ Name: 'n', EnableIPv6: false });
  });
});

describe('containerForVersion', () => {
  it('adds the short id and hostname to user-network aliases before API 1.45, as dockerd did', () => {
    const old = containerForVersion(container, [1, 44]).NetworkSettings.Networks;
    expect(old.front.Aliases).toEqual(['www', ID.slice(0, 12), 'web-host']);
    expect(old.back.Aliases).toEqual([ID.slice(0, 12), 'web-host']);
    expect(old.bridge.Aliases).toBeNull();
  });

  it('leaves the aliases as given from API 1.45 on', () => {
    expect(containerForVersion(container, [1, 45])).toBe(container);
  });
});
