import { checkConsoleSize, parseConsoleSize } from './console-size';

describe(checkConsoleSize.name, () => {
  it.each([[24, 80], [0, 0], [65535, 65535]])('takes %ix%i', (h, w) => expect(() => checkConsoleSize(h, w)).not.toThrow());
  it.each([[NaN, 80], [24, 80.5], [-1, 80], [24, 65536]])('refuses %sx%s with a 400', (h, w) => {
    expect(() => checkConsoleSize(h, w)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: `invalid console size: ${h}x${w}` }));
  });
});

describe(parseConsoleSize.name, () => {
  it.each([['24', '80', [24, 80]], ['+24', '0', [24, 0]]])('reads h=%s w=%s', (h, w, want) => expect(parseConsoleSize(h, w)).toEqual(want));
  it.each([[' 1', '80'], ['1e3', '80'], ['0x10', '80'], ['24', '1.5'], ['24', ''], [undefined, '80'], ['١', '80'], ['24', 'NaN']])('refuses h=%j w=%j with a 400', (h, w) => {
    expect(() => parseConsoleSize(h, w)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringMatching(/^strconv\.Atoi: parsing ".*": invalid syntax$/) }));
  });
  it('refuses a size out of range', () => {
    expect(() => parseConsoleSize('-1', '80')).toThrow('invalid console size: -1x80');
  });
});
