import { IpAddr, Prefix } from '@app/common';
import { toNftScript } from '../bridge/firewall-rules';
import { renderOverlayFirewall } from './overlay-firewall';

describe(renderOverlayFirewall.name, () => {
  it('admits VXLAN only from known VTEPs, exempts it and frames bridged within a network from conntrack, masquerades egress and fences internal networks', () => {
    const t = renderOverlayFirewall({
      vxlanPort: 4789,
      vtep: IpAddr.parse('192.0.2.1'),
      peers: [IpAddr.parse('192.0.2.3'), IpAddr.parse('192.0.2.2'), IpAddr.parse('192.0.2.2')],
      networks: [
        { bridge: 'ov-bbbbbbbbbbbb', internal: true, subnets: [Prefix.parse('10.2.0.0/16')], hostAddresses: [] },
        { bridge: 'ov-aaaaaaaaaaaa', internal: false, subnets: [Prefix.parse('10.1.0.0/16')], hostAddresses: [IpAddr.parse('10.1.0.1')] },
      ],
    });
    expect(toNftScript(t)).toBe(
      [
        'table inet netd_overlay {',
        '\tset vxlan_peers4 {',
        '\t\ttype ipv4_addr',
        '\t\telements = { 192.0.2.2, 192.0.2.3 }',
        '\t}',
        '\tset vxlan_peers6 {',
        '\t\ttype ipv6_addr',
        '\t}',
        '\tchain notrack_in {',
        '\t\ttype filter hook prerouting priority raw; policy accept;',
        '\t\tip daddr 192.0.2.1 ip saddr @vxlan_peers4 udp dport 4789 notrack',
        '\t\tiifname "ov-aaaaaaaaaaaa" ip saddr 10.1.0.0/16 ip daddr 10.1.0.0/16 ip daddr != 10.1.0.1 notrack',
        '\t\tiifname "ov-bbbbbbbbbbbb" ip saddr 10.2.0.0/16 ip daddr 10.2.0.0/16 notrack',
        '\t}',
        '\tchain notrack_out {',
        '\t\ttype filter hook output priority raw; policy accept;',
        '\t\tip saddr 192.0.2.1 ip daddr @vxlan_peers4 udp dport 4789 notrack',
        '\t}',
        '\tchain input {',
        '\t\ttype filter hook input priority filter; policy accept;',
        '\t\tudp dport 4789 ip saddr != @vxlan_peers4 drop',
        '\t\tudp dport 4789 ip6 saddr != @vxlan_peers6 drop',
        '\t}',
        '\tchain forward {',
        '\t\ttype filter hook forward priority filter; policy accept;',
        '\t\tiifname "ov-bbbbbbbbbbbb" oifname != "ov-bbbbbbbbbbbb" drop',
        '\t\toifname "ov-bbbbbbbbbbbb" iifname != "ov-bbbbbbbbbbbb" drop',
        '\t}',
        '\tchain postrouting {',
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        '\t\tip saddr 10.1.0.0/16 oifname != "ov-aaaaaaaaaaaa" masquerade',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('renders an empty peer set when no peer is known (all inbound VXLAN dropped)', () => {
    const t = renderOverlayFirewall({ vxlanPort: 8472, peers: [], networks: [] });
    expect(t.body).toContain('udp dport 8472 ip saddr != @vxlan_peers4 drop');
    expect(t.body).not.toContain('elements');
  });

  it('keeps traffic to every host address on the bridge tracked, per family', () => {
    const body = renderOverlayFirewall({
      vxlanPort: 4789,
      peers: [],
      networks: [
        {
          bridge: 'ov-cccccccccccc',
          internal: false,
          subnets: [Prefix.parse('10.3.0.0/24'), Prefix.parse('fd00:3::/64')],
          hostAddresses: [IpAddr.parse('10.3.0.254'), IpAddr.parse('fd00:3::1'), IpAddr.parse('10.3.0.1'), IpAddr.parse('10.3.0.1')],
        },
      ],
    }).body;
    expect(body).toContain('iifname "ov-cccccccccccc" ip saddr 10.3.0.0/24 ip daddr 10.3.0.0/24 ip daddr != { 10.3.0.1, 10.3.0.254 } notrack');
    expect(body).toContain('iifname "ov-cccccccccccc" ip6 saddr fd00:3::/64 ip6 daddr fd00:3::/64 ip6 daddr != fd00:3::1 notrack');
    expect(body).not.toContain('notrack_out');
  });

  it('exempts nothing from conntrack outside a cluster or without peers, and uses the IPv6 peer set for an IPv6 VTEP', () => {
    expect(renderOverlayFirewall({ vxlanPort: 4789, peers: [IpAddr.parse('192.0.2.2')], networks: [] }).body).not.toContain('notrack');
    expect(renderOverlayFirewall({ vxlanPort: 4789, vtep: IpAddr.parse('192.0.2.1'), peers: [], networks: [] }).body).not.toContain('notrack');
    const v6 = renderOverlayFirewall({ vxlanPort: 4789, vtep: IpAddr.parse('fd00::1'), peers: [IpAddr.parse('fd00::2')], networks: [] }).body;
    expect(v6).toContain('ip6 daddr fd00::1 ip6 saddr @vxlan_peers6 udp dport 4789 notrack');
    expect(v6).toContain('ip6 saddr fd00::1 ip6 daddr @vxlan_peers6 udp dport 4789 notrack');
    expect(v6).toContain('udp dport 4789 ip6 saddr != @vxlan_peers6 drop');
  });
});
