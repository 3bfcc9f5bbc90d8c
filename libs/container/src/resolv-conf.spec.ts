import { containerResolvConf, parseResolvConf, renderResolvConf } from './resolv-conf';

const HOST = 'nameserver 127.0.0.53\nnameserver 10.255.255.53\nsearch corp.example lan\noptions edns0 trust-ad\n';

describe('containerResolvConf', () => {
  it('uses the embedded DNS with ndots:0 and the host search domains on user networks', () => {
    const out = renderResolvConf(containerResolvConf(parseResolvConf(HOST), {}, true));
    expect(out).toBe('search corp.example lan\nnameserver 127.0.0.11\noptions ndots:0\n');
  });

  it('filters loopback nameservers from the host file on the default bridge', () => {
    const out = renderResolvConf(containerResolvConf(parseResolvConf(HOST), {}, false));
    expect(out).toBe('search corp.example lan\nnameserver 10.255.255.53\noptions edns0 trust-ad\n');
  });

  it("falls back to Google's servers when the host has only loopback ones", () => {
    const out = containerResolvConf(parseResolvConf('nameserver 127.0.0.1\n'), {}, false);
    expect(out.nameservers.map(String)).toEqual(['8.8.8.8', '8.8.4.4']);
  });

  it('applies --dns, --dns-search and --dns-option', () => {
    const out = renderResolvConf(containerResolvConf(parseResolvConf(HOST), { dns: ['1.1.1.1'], dnsSearch: ['a.test'], dnsOptions: ['timeout:2'] }, false));
    expect(out).toBe('search a.test\nnameserver 1.1.1.1\noptions timeout:2\n');
  });

  it('keeps a user ndots option on user networks', () => {
    expect(containerResolvConf(parseResolvConf(HOST), { dnsOptions: ['ndots:2'] }, true).options).toEqual(['ndots:2']);
  });

  it('rejects a --dns that is not an address', () => {
    expect(() => containerResolvConf(parseResolvConf(HOST), { dns: ['dns.example'] }, false)).toThrow('dns.example is not an ip address');
  });
});

describe('parseResolvConf', () => {
  it('ignores comments and unknown lines and keeps the last search', () => {
    const c = parseResolvConf('# hi\nnameserver 1.2.3.4 # x\nsearch a\nsortlist 1.2.3.4\nsearch b c\n');
    expect(c.nameservers.map(String)).toEqual(['1.2.3.4']);
    expect(c.search).toEqual(['b', 'c']);
  });
});
