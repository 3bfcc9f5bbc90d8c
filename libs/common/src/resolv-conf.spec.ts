import { parseResolvConf } from './resolv-conf';

describe('parseResolvConf', () => {
  it('reads nameservers, the last search line and all options, skipping comments and garbage', () => {
    const c = parseResolvConf(
      [
        '# generated',
        'nameserver 10.0.0.53 ; trailing comment',
        'nameserver fe80::1%eth0',
        'nameserver not-an-ip',
        'domain old.example',
        'search a.example b.example',
        'options ndots:2',
        'options timeout:1 rotate',
        'sortlist 10.0.0.0/8',
      ].join('\n'),
    );
    expect(c.nameservers.map(String)).toEqual(['10.0.0.53', 'fe80::1']);
    expect(c.search).toEqual(['a.example', 'b.example']);
    expect(c.options).toEqual(['ndots:2', 'timeout:1', 'rotate']);
  });

  it('treats a root-only search as none', () => {
    expect(parseResolvConf('search .\n').search).toEqual([]);
  });

  it('gives empty lists for an empty file', () => {
    expect(parseResolvConf('')).toEqual({ nameservers: [], search: [], options: [] });
  });
});
