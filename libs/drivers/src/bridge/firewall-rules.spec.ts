import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IpAddr, Prefix } from '@app/common';
import { type FirewallNetwork, fragmentDelta, type NetworkFragment, networkFragment, publishChain, renderFirewall, toNftScript } from './firewall-rules';

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

  it('isolates networks through sets: no rule names a bridge, each bridge is one element', () => {
    const body = renderFirewall([net({ bridge: 'br-aaaaaaaaaaaa' }), other]).body;
    expect(body).toContain('iifname @bridges oifname @bridges iifname . oifname != @self drop');
    expect(body).toContain('elements = { "br-aaaaaaaaaaaa" . "br-aaaaaaaaaaaa", "br-bbbbbbbbbbbb" . "br-bbbbbbbbbbbb" }');
    const forward = body.slice(body.indexOf('chain forward'), body.indexOf('chain prerouting'));
    expect(forward).not.toContain('br-');
  });

  it('grows by the same amount of text for every network (O(n), not O(n²))', () => {
    const nets = (k: number) =>
      Array.from({ length: k }, (_, i) => net({ bridge: `br-${String(i).padStart(12, '0')}`, subnets: [Prefix.parse(`10.${i >> 8}.${i & 255}.0/24`)] }));
    const size = (k: number) => renderFirewall(nets(k)).body.length;
    const perNet = size(101) - size(100);
    expect(size(201) - size(200)).toBe(perNet);
    expect(size(1000) - size(0)).toBeLessThanOrEqual(1000 * perNet);
  });

  it('renders no masquerade and no DNAT for an internal network', () => {
    const body = renderFirewall(GOLDEN_CASES['ports=8080:80,internal=true']).body;
    expect(body).not.toMatch(/set (masq|net)4/);
    expect(body).not.toContain('dnat ip to');
    expect(body).toMatch(/set pub \{\n\t\ttype ifname\n\t\}/);
  });

  it('uses the table name it is given', () => {
    expect(renderFirewall([], 'netd-test')).toMatchObject({ family: 'inet', name: 'netd-test' });
  });
});

describe('fragmentDelta', () => {
  const a = networkFragment(net({ bridge: 'br-aaaaaaaaaaaa' }));
  const b = networkFragment(other);
  const ctx = (before: string[], after: string[], frags: NetworkFragment[] = []) => ({
    lengths: { before: new Set(before), after: new Set(after) },
    publish: () => publishChain(frags),
  });

  it('creates a network beside one of the same prefix length with element adds only', () => {
    expect(fragmentDelta(undefined, a, ctx(['4_16'], ['4_16']))).toEqual([
      { op: 'add-elements', set: 'bridges', elements: ['"br-aaaaaaaaaaaa"'] },
      { op: 'add-elements', set: 'self', elements: ['"br-aaaaaaaaaaaa" . "br-aaaaaaaaaaaa"'] },
      { op: 'add-elements', set: 'masq4_16', elements: ['172.18.0.0'] },
      { op: 'add-elements', set: 'net4_16', elements: ['172.18.0.0 . "br-aaaaaaaaaaaa"'] },
    ]);
  });

  it('brings the sets and postrouting rules of a prefix length with its first user, and takes them with its last', () => {
    const first = fragmentDelta(undefined, a, ctx([], ['4_16']));
    expect(first.slice(0, 2)).toEqual([
      { op: 'put-set', set: 'masq4_16', type: 'ipv4_addr' },
      { op: 'put-set', set: 'net4_16', type: 'ipv4_addr . ifname' },
    ]);
    expect(first).toContainEqual(expect.objectContaining({ op: 'put-chain', chain: 'postrouting', rules: expect.arrayContaining(['ip saddr & 255.255.0.0 @masq4_16 ip saddr & 255.255.0.0 . oifname != @net4_16 masquerade']) }));
    const last = fragmentDelta(a, undefined, ctx(['4_16'], []));
    expect(last.map((o) => `${o.op} ${'set' in o ? o.set : 'chain' in o ? o.chain : ''}`)).toEqual([
      'delete-elements bridges',
      'delete-elements self',
      'put-chain postrouting',
      'delete-set masq4_16',
      'delete-set net4_16',
    ]);
  });

  it('deletes a network by its elements when others share its prefix length', () => {
    expect(fragmentDelta(b, undefined, ctx(['4_16'], ['4_16']))).toEqual([
      { op: 'delete-elements', set: 'bridges', keys: ['"br-bbbbbbbbbbbb"'] },
      { op: 'delete-elements', set: 'self', keys: ['"br-bbbbbbbbbbbb" . "br-bbbbbbbbbbbb"'] },
      { op: 'delete-elements', set: 'masq4_16', keys: ['172.19.0.0'] },
      { op: 'delete-elements', set: 'net4_16', keys: ['172.19.0.0 . "br-bbbbbbbbbbbb"'] },
    ]);
  });

  it('is empty when nothing changed', () => {
    expect(fragmentDelta(a, networkFragment(net({ bridge: 'br-aaaaaaaaaaaa' })), ctx(['4_16'], ['4_16']))).toEqual([]);
  });

  it("rewrites the publish chain with every network's DNAT rules when a port is published", () => {
    const b2 = networkFragment({ ...other, published: [{ ...web, containerIp: IpAddr.parse('172.19.0.2'), hostPort: 9090 }] });
    const a2 = networkFragment(net({ bridge: 'br-aaaaaaaaaaaa', published: [web] }));
    const ops = fragmentDelta(a, a2, ctx(['4_16'], ['4_16'], [b2, a2]));
    expect(ops).toEqual([
      { op: 'add-elements', set: 'pub', elements: ['"br-aaaaaaaaaaaa"'] },
      {
        op: 'put-chain',
        chain: 'publish',
        rules: ['meta nfproto ipv4 tcp dport 8080 dnat ip to 172.18.0.2:80', 'meta nfproto ipv4 tcp dport 9090 dnat ip to 172.19.0.2:80'],
      },
    ]);
  });

  it('recreates the icc chain with the new device list when a port joins', () => {
    const before = networkFragment(net({ bridge: 'br-aaaaaaaaaaaa', icc: false, ports: ['veth1111111'] }));
    const after = networkFragment(net({ bridge: 'br-aaaaaaaaaaaa', icc: false, ports: ['veth1111111', 'veth2222222'] }));
    expect(fragmentDelta(before, after, ctx(['4_16'], ['4_16']))).toEqual([
      {
        op: 'put-chain',
        chain: 'icc-br-aaaaaaaaaaaa',
        hook: 'type filter hook ingress devices = { "veth1111111", "veth2222222" } priority filter; policy accept;',
        rules: ['ip daddr 172.18.0.0/16 ip daddr != 172.18.0.1 drop'],
      },
    ]);
  });
});
