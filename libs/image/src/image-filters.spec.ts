import { filterImages, parseImageFilters } from './image-filters';
import type { ImageSummary } from './images';

const img = (id: string, repoTags: string[], repoDigests: string[] = [], labels: Record<string, string> = {}): ImageSummary => ({
  id, manifestDigest: id, repoTags, repoDigests, created: undefined, size: 0, labels,
});

const images = [
  img('sha256:a', ['x:latest', '127.0.0.1:5000/x:latest'], [`127.0.0.1:5000/x@sha256:${'d'.repeat(64)}`]),
  img('sha256:b', ['busybox:latest', 'busybox:1.36'], [], { tier: 'base' }),
  img('sha256:c', []),
];

describe('parseImageFilters', () => {
  it('reads both the map and the list form', () => {
    expect(parseImageFilters('{"reference":{"x":true,"y":false}}')).toEqual({ reference: ['x'] });
    expect(parseImageFilters('{"dangling":["true"]}')).toEqual({ dangling: ['true'] });
    expect(parseImageFilters(undefined)).toEqual({});
  });

  it.each([
    { name: 'bad JSON', raw: '{', message: 'invalid filters: {' },
    { name: 'unknown key', raw: '{"colour":{"red":true}}', message: "invalid filter 'colour'" },
    { name: 'bad dangling value', raw: '{"dangling":{"maybe":true}}', message: "invalid filter 'dangling=maybe'" },
  ])('rejects $name', ({ raw, message }) => {
    expect(() => parseImageFilters(raw)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});

describe('filterImages', () => {
  it('matches a reference by familiar name and narrows RepoTags and RepoDigests to the matches', () => {
    expect(filterImages(images, { reference: ['x'] })).toEqual([{ ...images[0], repoTags: ['x:latest'], repoDigests: [] }]);
    expect(filterImages(images, { reference: ['127.0.0.1:5000/x'] })).toEqual([
      { ...images[0], repoTags: ['127.0.0.1:5000/x:latest'], repoDigests: [`127.0.0.1:5000/x@sha256:${'d'.repeat(64)}`] },
    ]);
  });

  it('matches name:tag and globs that do not cross "/"', () => {
    expect(filterImages(images, { reference: ['busybox:1.*'] }).map((i) => i.repoTags)).toEqual([['busybox:1.36']]);
    expect(filterImages(images, { reference: ['*'] }).map((i) => i.id)).toEqual(['sha256:a', 'sha256:b']);
    expect(filterImages(images, { reference: ['*/x'] }).map((i) => i.repoTags)).toEqual([['127.0.0.1:5000/x:latest']]);
  });

  it('filters dangling images and labels', () => {
    expect(filterImages(images, { dangling: ['true'] }).map((i) => i.id)).toEqual(['sha256:c']);
    expect(filterImages(images, { dangling: ['false'] }).map((i) => i.id)).toEqual(['sha256:a', 'sha256:b']);
    expect(filterImages(images, { label: ['tier=base'] }).map((i) => i.id)).toEqual(['sha256:b']);
    expect(filterImages(images, { label: ['tier=top'] })).toEqual([]);
  });

  it('matches a label key only against the image own labels, not Object.prototype', () => {
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect({ key, ids: filterImages(images, { label: [key] }).map((i) => i.id) }).toEqual({ key, ids: [] });
    }
  });
});
