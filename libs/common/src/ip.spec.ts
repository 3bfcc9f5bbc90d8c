import { IpAddr, MacAddr, Prefix } from './ip';

describe(IpAddr.name, () => {
  describe('parse', () => {
    it.each([
      ['10.0.0.1', 4, '10.0.0.1'],
      ['255.255.255.255', 4, '255.255.255.255'],
      ['FD00:0:0:0:0:0:0:1', 6, 'fd00::1'],
      ['2001:db8::0:1', 6, '2001:db8::1'],
      ['::ffff:10.0.0.1', 6, '::ffff:10.0.0.1'],
    ])('parses %s into canonical form', (text, family, canonical) => {
      const ip = IpAddr.parse(text);
      expect(ip.family).toBe(family);
      expect(ip.toString()).toBe(canonical);
      expect(JSON.stringify({ ip })).toBe(`{"ip":"${canonical}"}`);
    });

    it.each(['10.1', '010.0.0.1', '10.0.0.256', '1.2.3.4.5', 'fe80::1%eth0', '', 'host', '::g', ' 10.0.0.1'])(
      'rejects %j',
      (text) => {
        expect(() => IpAddr.parse(text)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: `invalid IP address: ${text}` }));
      },
    );
  });

  it('round-trips bytes', () => {
    const ip = IpAddr.parse('2001:db8::dead:beef');
    expect(IpAddr.fromBytes(ip.toBytes()).equals(ip)).toBe(true);
    expect(Array.from(IpAddr.parse('172.17.0.2').toBytes())).toEqual([172, 17, 0, 2]);
  });

  it('adds and compares', () => {
    const a = IpAddr.parse('10.0.0.255');
    expect(a.add(1n).toString()).toBe('10.0.1.0');
    expect(a.add(-255n).toString()).toBe('10.0.0.0');
    expect(a.compare(a.add(1n))).toBe(-1);
    expect(() => IpAddr.parse('255.255.255.255').add(1n)).toThrow(/out of range/);
  });
});

describe(Prefix.name, () => {
  it('keeps an interface address and gives its network', () => {
    const p = Prefix.parse('172.17.0.2/16');
    expect(p.toString()).toBe('172.17.0.2/16');
    expect(p.isNetwork).toBe(false);
    expect(p.network().toString()).toBe('172.17.0.0/16');
    expect(p.first.toString()).toBe('172.17.0.0');
    expect(p.last.toString()).toBe('172.17.255.255');
    expect(p.size).toBe(65536n);
  });

  it('does v6 math', () => {
    const p = Prefix.parse('fd00:1:2:3::/64');
    expect(p.isNetwork).toBe(true);
    expect(p.size).toBe(1n << 64n);
    expect(p.nth(1n).toString()).toBe('fd00:1:2:3::1');
    expect(p.last.toString()).toBe('fd00:1:2:3:ffff:ffff:ffff:ffff');
    expect(p.offsetOf(IpAddr.parse('fd00:1:2:3::10'))).toBe(16n);
  });

  it.each([
    ['10.0.0.0/24', '10.0.0.128/25', true],
    ['10.0.0.128/25', '10.0.0.0/24', true],
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/8', '10.255.255.0/24', true],
    ['10.0.0.0/24', 'fd00::/8', false],
  ])('%s overlaps %s: %s', (a, b, expected) => {
    expect(Prefix.parse(a).overlaps(Prefix.parse(b))).toBe(expected);
  });

  it('tests containment', () => {
    const p = Prefix.parse('192.168.16.0/20');
    expect(p.contains(IpAddr.parse('192.168.31.255'))).toBe(true);
    expect(p.contains(IpAddr.parse('192.168.32.0'))).toBe(false);
    expect(p.contains(IpAddr.parse('::1'))).toBe(false);
  });

  it.each(['10.232.0.0/33', 'notacidr', '10.0.0.0', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/-1', '10.0.0.0/ 8', '::/129'])(
    'rejects %j as Go does',
    (text) => {
      expect(() => Prefix.parse(text)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: `invalid CIDR address: ${text}` }));
    },
  );

  it('refuses an offset outside the prefix', () => {
    expect(() => Prefix.parse('10.0.0.0/30').nth(4n)).toThrow(/outside 10.0.0.0\/30/);
  });
});

describe(MacAddr.name, () => {
  it('parses either separator and prints lowercase colons', () => {
    expect(MacAddr.parse('02-42-AC-11-00-02').toString()).toBe('02:42:ac:11:00:02');
    expect(MacAddr.parse('02:42:ac:11:00:02').equals(MacAddr.parse('02-42-ac-11-00-02'))).toBe(true);
  });

  it.each(['02:42:ac:11:00', '02:42:ac:11:00:02:03', '02:42-ac:11:00:02', 'zz:42:ac:11:00:02', ''])('rejects %j', (text) => {
    expect(() => MacAddr.parse(text)).toThrow(`invalid MAC address: ${text}`);
  });

  it('derives Docker’s MAC from an IPv4 address', () => {
    expect(MacAddr.fromIpv4(IpAddr.parse('192.168.240.2')).toString()).toBe('02:42:c0:a8:f0:02');
  });

  it('makes random MACs locally administered and unicast', () => {
    const mac = MacAddr.random(() => Uint8Array.from([0xff, 1, 2, 3, 4, 5]));
    expect(mac.toString()).toBe('fe:01:02:03:04:05');
  });
});
