import { checkConsoleSize } from './console-size';

describe(checkConsoleSize.name, () => {
  it.each([[24, 80], [0, 0], [65535, 65535]])('takes %ix%i', (h, w) => expect(() => checkConsoleSize(h, w)).not.toThrow());
  it.each([[NaN, 80], [24, 80.5], [-1, 80], [24, 65536]])('refuses %sx%s with a 400', (h, w) => {
    expect(() => checkConsoleSize(h, w)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: `invalid console size: ${h}x${w}` }));
  });
});
