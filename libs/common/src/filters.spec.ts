import { matchAllLabels, matchLabel, parseFilterArgs } from './filters';

describe('label filter terms (dockerd MatchKVList)', () => {
  const labels = { tier: 'web', 'com.example.empty': '' };

  it('matches a key alone, or a key with its exact value', () => {
    expect(matchLabel(labels, 'tier')).toBe(true);
    expect(matchLabel(labels, 'tier=web')).toBe(true);
    expect(matchLabel(labels, 'tier=db')).toBe(false);
    expect(matchLabel(labels, 'com.example.empty=')).toBe(true);
    expect(matchLabel(labels, 'missing')).toBe(false);
  });

  it('sees only the map own keys, never Object.prototype', () => {
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) expect({ key, hit: matchLabel(labels, key) }).toEqual({ key, hit: false });
    expect(matchLabel(labels, 'constructor=function Object() { [native code] }')).toBe(false);
  });

  it('needs every term; no terms match everything, a missing map matches no term', () => {
    expect(matchAllLabels(labels, ['tier', 'com.example.empty'])).toBe(true);
    expect(matchAllLabels(labels, ['tier', 'nope'])).toBe(false);
    expect(matchAllLabels(labels, [])).toBe(true);
    expect(matchAllLabels(null, undefined)).toBe(true);
    expect(matchAllLabels(null, ['tier'])).toBe(false);
  });
});

describe('parseFilterArgs', () => {
  it('reads both of Docker filter forms into a prototype-free map', () => {
    expect(parseFilterArgs('{"label":["a=1"],"dangling":{"true":true,"false":false}}', ['label', 'dangling'])).toEqual({ label: ['a=1'], dangling: ['true'] });
    expect(Object.getPrototypeOf(parseFilterArgs('{"label":[]}', ['label']))).toBeNull();
  });

  it('refuses unknown keys, bad JSON and values of the wrong type', () => {
    expect(() => parseFilterArgs('{"bogus":["x"]}', ['label'])).toThrow("invalid filter 'bogus'");
    expect(() => parseFilterArgs('{', ['label'])).toThrow('invalid filters');
    expect(() => parseFilterArgs('[]', ['label'])).toThrow('invalid filters');
    expect(() => parseFilterArgs('{"label":[5]}', ['label'])).toThrow("invalid filter 'label'");
  });
});
