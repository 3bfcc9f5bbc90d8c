import { displayablePorts } from '../commands/container/container-context';
import { timestamp } from '../commands/container/logs.handler';
import { ellipsis, goQuote, humanDuration, humanSize, truncateId } from './go-units';

describe('go-units as docker prints them', () => {
  it.each([
    [500, 'Less than a second'],
    [1000, '1 second'],
    [59_000, '59 seconds'],
    [60_000, 'About a minute'],
    [3_540_000, '59 minutes'],
    [3_600_000, 'About an hour'],
    [47 * 3_600_000, '47 hours'],
    [3 * 86_400_000, '3 days'],
    [20 * 86_400_000, '2 weeks'],
    [90 * 86_400_000, '3 months'],
    [800 * 86_400_000, '2 years'],
  ])('humanDuration(%d) = %s', (ms, text) => expect(humanDuration(ms)).toBe(text));

  it.each([
    [0, '0B'],
    [999, '999B'],
    [1234, '1.23kB'],
    [4_261_550, '4.26MB'],
    [1_000_000, '1MB'],
    [999_999, '1e+03kB'],
    [5_300_000_000, '5.3GB'],
  ])('humanSize(%d) = %s', (n, text) => expect(humanSize(n)).toBe(text));

  it('truncates ids, quotes and cuts commands like the ps formatter', () => {
    expect(truncateId('sha256:0123456789abcdef')).toBe('0123456789ab');
    expect(ellipsis('echo hello world this is long', 20)).toBe('echo hello world th…');
    expect(ellipsis('short', 20)).toBe('short');
    expect(goQuote('sh -c "x"')).toBe('"sh -c \\"x\\""');
  });

  it("groups ports as docker's DisplayablePorts does", () => {
    expect(displayablePorts([])).toBe('');
    expect(
      displayablePorts([
        { PrivatePort: 81, Type: 'tcp' },
        { PrivatePort: 80, Type: 'tcp' },
        { PrivatePort: 53, Type: 'udp' },
        { IP: '0.0.0.0', PrivatePort: 9000, PublicPort: 9000, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 9001, PublicPort: 9001, Type: 'tcp' },
        { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 18080, Type: 'tcp' },
        { IP: '::', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' },
      ]),
    ).toBe('53/udp, 80-81/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, [::]:8443->443/tcp, 127.0.0.1:18080->8080/tcp');
  });

  it('turns --since values into unix timestamps', () => {
    const now = Date.parse('2026-01-02T03:04:05.5Z');
    expect(timestamp('1700000000', now, '--since')).toBe('1700000000');
    expect(timestamp('10m', now, '--since')).toBe(`${now / 1000 - 600 - 0.5}.500000000`);
    expect(timestamp('1h30m', now, '--since')).toBe(`${Math.floor(now / 1000) - 5400}.500000000`);
    expect(timestamp('2026-01-01T00:00:00Z', now, '--since')).toBe(`${Date.parse('2026-01-01T00:00:00Z') / 1000}.000000000`);
    expect(() => timestamp('yesterday', now, '--since')).toThrow('invalid value for "--since": failed to parse value as time or duration: "yesterday"');
  });
});
