import { parseTimestamp } from './timestamp';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

describe('parseTimestamp', () => {
  it.each([
    ['1700000000', 1_700_000_000_000_000_000n],
    ['1700000000.5', 1_700_000_000_500_000_000n],
    ['1700000000.000000001', 1_700_000_000_000_000_001n],
    ['0', 0n],
    ['2023-11-14T22:13:20Z', 1_700_000_000_000_000_000n],
    ['2023-11-14T22:13:20.25Z', 1_700_000_000_250_000_000n],
    ['2023-11-15T00:13:20+02:00', 1_700_000_000_000_000_000n],
    ['2023-11-14T20:13:20-02:00', 1_700_000_000_000_000_000n],
    ['2023-11-14Z', ns(Date.UTC(2023, 10, 14))],
  ])('reads the absolute time %s', (text, want) => {
    expect(parseTimestamp(text, NOW)).toBe(want);
  });

  it.each([
    ['10s', ns(NOW - 10_000)],
    ['1h30m', ns(NOW - 5_400_000)],
    ['1.5h', ns(NOW - 5_400_000)],
    ['250ms', ns(NOW - 250)],
    ['-5m', ns(NOW + 300_000)],
  ])('reads the duration %s as that long before now', (text, want) => {
    expect(parseTimestamp(text, NOW)).toBe(want);
  });

  it('reads a date-time without a zone in local time', () => {
    expect(parseTimestamp('2023-11-14T22:13', NOW)).toBe(ns(new Date(2023, 10, 14, 22, 13).getTime()));
  });

  it.each(['soon', '1.2.3', '-x', '\u0000', '', 'yesterday-ish', '2023-13-01', '2023-02-30', '2023-11-14T25:00Z', '10x', '1e3', '0x10', ' 1', 'tomorrow'])('refuses %j', (text) => {
    expect(() => parseTimestamp(text, NOW)).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
  });
});
