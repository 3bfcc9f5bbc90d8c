import { parseSignal } from './signals';

describe(parseSignal.name, () => {
  it.each([
    ['SIGTERM', 'SIGTERM'], ['term', 'SIGTERM'], ['KILL', 'SIGKILL'], ['9', 'SIGKILL'], ['sigusr1', 'SIGUSR1'], ['CLD', 'SIGCHLD'],
    ['RTMIN', '34'], ['RTMIN+3', '37'], ['SIGRTMAX-1', '63'], ['64', '64'], ['1', 'SIGHUP'],
  ])('%s is %s', (text, want) => {
    expect(parseSignal(text)).toBe(want);
  });

  it.each(['SIGFOO', '99', '-1', '0', '65', '', 'SIG', 'RTMIN+16', '1.5', ' 9', 'SIGKILL\u0000', '9'.repeat(400)])('refuses %j with Docker\'s text', (text) => {
    expect(() => parseSignal(text)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: `Invalid signal: ${text.slice(0, 64)}` }));
  });
});
