import { parseDockerfile } from './dockerfile-parser';
import { parseHealthcheck } from './healthcheck';

const hc = (line: string) => parseHealthcheck(parseDockerfile(line).instructions[0]);

describe(parseHealthcheck.name, () => {
  it.each([
    { line: 'HEALTHCHECK CMD curl -f http://localhost/ || exit 1', want: { Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] } },
    { line: 'HEALTHCHECK CMD ["wget", "-q", "localhost"]', want: { Test: ['CMD', 'wget', '-q', 'localhost'] } },
    { line: 'HEALTHCHECK --interval=5s --timeout=2s --start-period=1m30s --start-interval=1s --retries=4 CMD true', want: { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 2e9, StartPeriod: 90e9, StartInterval: 1e9, Retries: 4 } },
    { line: 'HEALTHCHECK --interval=0s cmd true', want: { Test: ['CMD-SHELL', 'true'] } },
    { line: 'HEALTHCHECK NONE', want: { Test: ['NONE'] } },
  ])('$line', ({ line, want }) => {
    expect(hc(line)).toEqual(want);
  });

  it.each([
    { line: 'HEALTHCHECK NONE now', message: 'dockerfile parse error on line 1: HEALTHCHECK NONE takes no arguments' },
    { line: 'HEALTHCHECK RUN true', message: 'dockerfile parse error on line 1: Unknown type "RUN" in HEALTHCHECK (try CMD)' },
    { line: 'HEALTHCHECK CMD', message: 'dockerfile parse error on line 1: Missing command after HEALTHCHECK CMD' },
    { line: 'HEALTHCHECK --interval=soon CMD true', message: 'dockerfile parse error on line 1: time: invalid duration "soon"' },
    { line: 'HEALTHCHECK --timeout=10us CMD true', message: 'dockerfile parse error on line 1: Timeout "--timeout" cannot be less than 1ms' },
    { line: 'HEALTHCHECK --retries=-1 CMD true', message: 'dockerfile parse error on line 1: --retries cannot be negative (-1)' },
    { line: 'HEALTHCHECK --every=1s CMD true', message: 'dockerfile parse error on line 1: Unknown flag: every' },
  ])('refuses $line', ({ line, message }) => {
    expect(() => hc(line)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }) as Error);
  });
});
