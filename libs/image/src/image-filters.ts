import { familiarName, familiarString, InvalidParameterError, matchAllLabels, parseFilterArgs, parseReference } from '@app/common';
import type { ImageSummary } from './images';

/** `GET /images/json?filters=`: Docker's `{"key":{"value":true}}` map, or the older `{"key":["value"]}`. */
export type ImageFilters = Record<string, string[]>;

const KNOWN = new Set(['reference', 'dangling', 'label']);

/** Parse the `filters` query value; bad JSON or an unknown key is InvalidParameterError. */
export function parseImageFilters(raw: string | undefined): ImageFilters {
  const out: ImageFilters = parseFilterArgs(raw, [...KNOWN]);
  for (const d of out.dangling ?? []) {
    if (!['true', 'false', '1', '0'].includes(d)) throw new InvalidParameterError(`invalid filter 'dangling=${d}'`);
  }
  return out;
}

/** A Go `path.Match` pattern (`*`, `?`, `[…]`) as a regular expression; `*` does not cross `/`. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new InvalidParameterError(`invalid reference filter: ${pattern}`);
      re += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Does one repo:tag match a reference filter? Like Docker: against the familiar name, or name:tag. */
function referenceMatches(tag: string, pattern: string): boolean {
  const rx = globRegExp(pattern);
  try {
    const ref = parseReference(tag);
    return rx.test(familiarName(ref)) || rx.test(familiarString(ref));
  } catch {
    return rx.test(tag);
  }
}

/** Keep the images every given filter accepts (values of one key are alternatives, as in Docker). */
export function filterImages(images: readonly ImageSummary[], filters: ImageFilters): ImageSummary[] {
  const refs = filters.reference ?? [];
  // As dockerd does, a reference filter also narrows RepoTags and RepoDigests to the names that matched.
  const narrowed = refs.length === 0 ? images : images.flatMap((img) => {
    const repoTags = img.repoTags.filter((t) => refs.some((p) => referenceMatches(t, p)));
    const repoDigests = img.repoDigests.filter((t) => refs.some((p) => referenceMatches(t, p)));
    return repoTags.length + repoDigests.length > 0 ? [{ ...img, repoTags, repoDigests }] : [];
  });
  return narrowed.filter((img) => {
    const dangling = filters.dangling?.[0];
    if (dangling !== undefined) {
      const want = dangling === 'true' || dangling === '1';
      if (want !== (img.repoTags.length === 0)) return false;
    }
    return matchAllLabels(img.labels, filters.label);
  });
}
