import { familiarString, formatReference, parseReference } from './image-reference';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    { name: 'bare name', input: 'busybox', full: 'docker.io/library/busybox:latest', familiar: 'busybox:latest' },
    { name: 'user repo', input: 'user/app:1.0', full: 'docker.io/user/app:1.0', familiar: 'user/app:1.0' },
    { name: 'legacy index host', input: 'index.docker.io/busybox', full: 'docker.io/library/busybox:latest', familiar: 'busybox:latest' },
    { name: 'explicit docker.io', input: 'docker.io/library/busybox:1', full: 'docker.io/library/busybox:1', familiar: 'busybox:1' },
    { name: 'registry with port', input: '127.0.0.1:5000/busybox', full: '127.0.0.1:5000/busybox:latest', familiar: '127.0.0.1:5000/busybox:latest' },
    { name: 'localhost', input: 'localhost/app:dev', full: 'localhost/app:dev', familiar: 'localhost/app:dev' },
    { name: 'dotted host', input: 'ghcr.io/org/sub/app:v1', full: 'ghcr.io/org/sub/app:v1', familiar: 'ghcr.io/org/sub/app:v1' },
    { name: 'digest only', input: `busybox@${D}`, full: `docker.io/library/busybox@${D}`, familiar: `busybox@${D}` },
    { name: 'tag and digest', input: `busybox:1@${D}`, full: `docker.io/library/busybox:1@${D}`, familiar: `busybox:1@${D}` },
    { name: 'separators', input: 'a_b__c-d--e.f', full: 'docker.io/library/a_b__c-d--e.f:latest', familiar: 'a_b__c-d--e.f:latest' },
    { name: 'ipv6 host', input: '[::1]:5000/app', full: '[::1]:5000/app:latest', familiar: '[::1]:5000/app:latest' },
  ])('normalises $name', ({ input, full, familiar }) => {
    const ref = parseReference(input);
    expect(formatReference(ref)).toBe(full);
    expect(familiarString(ref)).toBe(familiar);
  });

  it('does not add latest when asked not to', () => {
    expect(parseReference('busybox', { defaultTag: false }).tag).toBeUndefined();
  });

  it.each([
    { name: 'empty', input: '', message: 'invalid reference format' },
    { name: 'upper case', input: 'BusyBox', message: 'invalid reference format: repository name must be lowercase' },
    { name: 'upper case path after host', input: 'localhost/App', message: 'invalid reference format: repository name must be lowercase' },
    { name: 'trailing colon', input: 'busybox:', message: 'invalid reference format' },
    { name: 'bad tag', input: 'busybox:-x', message: 'invalid reference format' },
    { name: 'double slash', input: 'a//b', message: 'invalid reference format' },
    { name: 'leading separator', input: '-a', message: 'invalid reference format' },
    { name: 'short digest', input: 'busybox@sha256:abc', message: 'invalid reference format' },
    { name: 'spaces', input: 'busy box', message: 'invalid reference format' },
    { name: 'too long', input: 'a'.repeat(256), message: 'invalid reference format: repository name must not be more than 255 characters' },
    { name: 'bad host', input: 'my_host.io/app', message: 'invalid reference format' },
  ])('rejects $name', ({ input, message }) => {
    expect(() => parseReference(input)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});
