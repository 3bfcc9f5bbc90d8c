import { IpAddr } from '@app/common';
import { checkHostname, parseExtraHost, renderHostname, renderHosts, resolveExtraHosts } from './hosts-file';

const ip = (s: string) => IpAddr.parse(s);

describe('renderHosts', () => {
  it("writes Docker's defaults, extra hosts, links, then the container's own entry", () => {
    const text = renderHosts({
      hostname: '543e82729d94',
      addresses: [ip('172.17.0.3')],
      extraHosts: [{ name: 'db.local', ip: ip('10.0.0.5') }],
      links: [{ ip: ip('172.17.0.2'), alias: 'database', id: 'ea4b349e8a06', name: 'anc-e-db-docker' }],
    });
    expect(text).toBe(
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'ff00::0\tip6-mcastprefix',
        'ff02::1\tip6-allnodes',
        'ff02::2\tip6-allrouters',
        '10.0.0.5\tdb.local',
        '172.17.0.2\tdatabase ea4b349e8a06 anc-e-db-docker',
        '172.17.0.3\t543e82729d94',
        '',
      ].join('\n'),
    );
  });

  it('writes fqdn then hostname with a domain name, one line per address', () => {
    const text = renderHosts({ hostname: 'web', domainname: 'example.org', addresses: [ip('10.1.0.2'), ip('fd00::2')], extraHosts: [], links: [] });
    expect(text).toContain('10.1.0.2\tweb.example.org web\n');
    expect(text).toContain('fd00::2\tweb.example.org web\n');
  });

  it('has only the defaults for --network none', () => {
    expect(renderHosts({ hostname: 'x', addresses: [], extraHosts: [], links: [] }).trim().split('\n')).toHaveLength(6);
  });

  it('does not repeat a link alias equal to the name', () => {
    const text = renderHosts({ hostname: 'h', addresses: [], extraHosts: [], links: [{ ip: ip('172.17.0.2'), alias: 'db', id: 'abc', name: 'db' }] });
    expect(text).toContain('172.17.0.2\tdb abc\n');
  });
});

describe('parseExtraHost', () => {
  it.each([
    { name: 'name:ipv4', input: 'db:10.0.0.5', host: 'db', addr: '10.0.0.5' },
    { name: 'name:ipv6 without brackets', input: 'v6:2001:db8::1', host: 'v6', addr: '2001:db8::1' },
    { name: 'name:[ipv6]', input: 'v6:[2001:db8::1]', host: 'v6', addr: '2001:db8::1' },
    { name: 'name=ip', input: 'eq=10.0.0.6', host: 'eq', addr: '10.0.0.6' },
  ])('parses $name', ({ input, host, addr }) => {
    const h = parseExtraHost(input);
    expect(h.name).toBe(host);
    expect(String(h.ip)).toBe(addr);
  });

  it('keeps host-gateway for later resolution', () => {
    expect(parseExtraHost('host.docker.internal:host-gateway')).toEqual({ name: 'host.docker.internal', ip: 'host-gateway' });
  });

  it.each([
    { name: 'no separator', input: 'justaname', message: 'bad format for add-host: "justaname"' },
    { name: 'bad address', input: 'db:10.0.0.300', message: 'invalid IP address in add-host: "10.0.0.300"' },
    { name: 'empty name', input: ':10.0.0.1', message: 'bad format for add-host: ":10.0.0.1"' },
  ])('rejects $name', ({ input, message }) => {
    expect(() => parseExtraHost(input)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});

describe('resolveExtraHosts', () => {
  it('replaces host-gateway with the gateway address', () => {
    const out = resolveExtraHosts([parseExtraHost('hg:host-gateway')], ip('172.17.0.1'));
    expect(out.map((h) => `${h.name} ${h.ip}`)).toEqual(['hg 172.17.0.1']);
  });

  it('fails when no host-gateway address is known', () => {
    expect(() => resolveExtraHosts([parseExtraHost('hg:host-gateway')], undefined)).toThrow('unable to derive the IP value for host-gateway');
  });
});

describe('renderHostname', () => {
  it('is the hostname and a newline', () => {
    expect(renderHostname('abc')).toBe('abc\n');
  });
});

describe('checkHostname', () => {
  it('accepts dotted names and rejects bad ones', () => {
    expect(checkHostname('web-1.example')).toBe('web-1.example');
    expect(() => checkHostname('-bad')).toThrow('invalid hostname format: -bad');
  });
});
