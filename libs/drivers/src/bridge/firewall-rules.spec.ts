import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IpAddr, Prefix } from '@app/common';
import { type FirewallNetwork, renderFirewall, toNftScript } from './firewall-rules';

const GOLDEN = join(__dirname, '__golden__');

function net(over: Partial<FirewallNetwork> & { bridge: string }, v6 = false): FirewallNetwork {
  const subnets = [Prefix.parse('172.18.0.0/16'), ...(v6 ? [Prefix.parse('fd00:18::/64')] : [])];
  return {
    internal: false,
    icc: true,
    masquerade: true,
    subnets,
    gateways: [IpAddr.parse('172.18.0.1'), ...(v6 ? [IpAddr.parse('fd00:18::1')] : [])],
    ports: ['veth1111111', 'veth2222222'],
    published: [],
    ...over,
  };
}

const other = net({ bridge: 'br-bbbbbbbbbbbb', subnets: [Prefix.parse('172.19.0.0/16')], gateways: [IpAddr.parse('172.19.0.1')] });
const web = { proto: 'tcp' as const, hostPort: 8080, containerIp: IpAddr.parse('172.18.0.2'), containerPort: 80 };

/** Golden cases: the file name lists the parameters (STYLE.md §2). */
export const GOLDEN_CASES: Record<string, FirewallNetwork[]> = {
  'default': [net({ bridge: 'br-aaaaaaaaaaaa' })],
  'internal=true': [net({ bridge: 'br-aaaaaaaaaaaa', internal: true })],
  'internal=true,icc=false': [net({ bridge: 'br-aaaaaaaaaaaa', internal: true, icc: false })],
  'icc=false': [net({ bridge: 'br-aaaaaaaaaaaa', icc: false })],
  'masquerade=false': [net({ bridge: 'br-aaaaaaaaaaaa', masquerade: false })],
  'ipv6=true': [net({ bridge: 'br-aaaaaaaaaaaa' }, true)],
  'networks=2': [net({ bridge: 'br-aaaaaaaaaaaa' }), other],
  'networks=0': [],
  'ports=8080:80,127.0.0.1:8081:80-udp': [
    net({
      bridge: 'br-aaaaaaaaaaaa',
      published: [web, { ...web, proto: 'udp', hostIp: IpAddr.parse('127.0.0.1'), hostPort: 8081 }],
    }),
  ],
  'ports=8080:80,ipv6=true': [
    net({ bridge: 'br-aaaaaaaaaaaa', published: [web, { ...web, containerIp: IpAddr.parse('fd00:18::2') }] }, true),
  ],
  'ports=8080:80,internal=true': [net({ bridge: 'br-aaaaaaaaaaaa', internal: true, published: [web] })],
};

describe('renderFirewall', () => {
  it.each(Object.keys(GOLDEN_CASES))('matches __golden__/%s.nft', (name) => {
    const text = toNftScript(renderFirewall(GOLDEN_CASES[name]));
    const file = join(GOLDEN, `${name}.nft`);
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, text);
    }
    expect(existsSync(file)).toBe(true);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });

  it('does not depend on the order of the networks', () => {
    const a = renderFirewall([net({ bridge: 'br-aaaaaaaaaaaa' }), other]);
    const b = renderFirewall([other, net({ bridge: 'br-aaaaaaaaaaaa' })]);
    expect(a.body).toBe(b.body);
  });

  it('isolates each network from every other one', () => {
    const body = renderFirewall([net({ bridge: 'br-aaaaaaaaaaaa' }), other]).body;
    expect(body).toContain('iifname "br-aaaaaaaaaaaa" oifname "br-bbbbbbbbbbbb" drop');
    expect(body).toContain('iifname "br-bbbbbbbbbbbb" oifname "br-aaaaaaaaaaaa" drop');
  });

  it('renders no masquerade and no DNAT for an internal network', () => {
    const body = renderFirewall(GOLDEN_CASES['ports=8080:80,internal=true']).body;
    expect(body).not.toContain('masquerade');
    expect(body).not.toContain('dnat');
  });

  it('uses the table name it is given', () => {
    expect(renderFirewall([], 'netd-test')).toMatchObject({ family: 'inet', name: 'netd-test' });
  });
});
