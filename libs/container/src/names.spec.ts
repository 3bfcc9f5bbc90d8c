import { canonicalName, generateName, nameConflict } from './names';

describe('canonicalName', () => {
  it.each(['web', '/web', 'a1', 'my_app.v2-x', 'A.b'])('accepts %s with a leading slash', (n) => {
    expect(canonicalName(n)).toBe(n.startsWith('/') ? n : `/${n}`);
  });

  it.each(['a', '_web', '-web', 'web app', 'web/app', '', '//web', 'wéb'])('rejects %j', (n) => {
    expect(() => canonicalName(n)).toThrow(
      expect.objectContaining({ kind: 'invalid-parameter', message: `Invalid container name (${n}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed` }),
    );
  });
});

describe('nameConflict', () => {
  it("is a Conflict with Docker's text", () => {
    expect(nameConflict('/web', 'abc')).toMatchObject({
      kind: 'conflict',
      message: 'Conflict. The container name "/web" is already in use by container "abc". You have to remove (or rename) that container to be able to reuse that name.',
    });
  });
});

describe('generateName', () => {
  it('produces a valid name not already taken', () => {
    let calls = 0;
    const name = generateName(() => ++calls < 3, () => 0);
    expect(name).toMatch(/^\/[a-z]+_[a-z]+\d*$/);
    expect(() => canonicalName(name)).not.toThrow();
  });
});
