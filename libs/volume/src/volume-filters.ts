import { InvalidParameterError, matchAllLabels, parseFilterArgs } from '@app/common';
import type { VolumeRecord } from './volume-store.port';

/** Docker's `filters` query value, decoded: key → values (values of one key are alternatives). */
export type VolumeFilters = Readonly<Record<string, readonly string[]>>;

/** The label Docker (API ≥ 1.42) puts on volumes made for a container (`-v /data`); prune looks for it. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export const LIST_FILTERS = ['dangling', 'driver', 'label', 'name'] as const;
export const PRUNE_FILTERS = ['label', 'label!', 'all'] as const;

/** Docker's `filters` for volume list and prune; a key outside `allowed` is `invalid filter 'key'`. */
export function parseVolumeFilters(text: string | undefined, allowed: readonly string[]): VolumeFilters {
  return parseFilterArgs(text, allowed);
}

/** Go's `fmt.Sprintf("%s", []string{…})`, which dockerd's filter errors print. */
const goList = (values: readonly string[]) => `[${values.join(' ')}]`;

/** `dangling`: true when any value is true/1, false when any is false/0, else an error (dockerd's order). */
export function danglingFilter(filters: VolumeFilters): boolean | undefined {
  const values = filters.dangling;
  if (!values) return undefined;
  if (values.includes('true') || values.includes('1')) return true;
  if (values.includes('false') || values.includes('0')) return false;
  throw new InvalidParameterError(`invalid filter 'dangling=${goList(values)}'`);
}

const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/** prune's `all` (Go's strconv.ParseBool on each value); absent is false. */
export function allFilter(filters: VolumeFilters): boolean {
  const values = filters.all;
  if (!values) return false;
  if (values.some((v) => !GO_TRUE.includes(v) && !GO_FALSE.includes(v))) throw new InvalidParameterError(`invalid filter 'all=${goList(values)}'`);
  return values.some((v) => GO_TRUE.includes(v));
}


/**
 * The `name` filter. dockerd matches each value as a Go regular expression; JS regexps from a
 * client could backtrack for ever, so netd matches substrings (the same result for plain names,
 * which is what clients send).
 */
function matchName(name: string, values: readonly string[] | undefined): boolean {
  return !values || values.some((v) => name === v || name.includes(v));
}

/** Keep the volumes every filter accepts. `inUse` answers the dangling filter. */
export function filterVolumes(volumes: readonly VolumeRecord[], filters: VolumeFilters, inUse: (name: string) => boolean): VolumeRecord[] {
  const dangling = danglingFilter(filters);
  return volumes.filter(
    (v) =>
      (!filters.driver || filters.driver.includes(v.driver)) &&
      matchName(v.name, filters.name) &&
      matchAllLabels(v.labels, filters.label) &&
      (dangling === undefined || dangling !== inUse(v.name)),
  );
}

/**
 * What prune may remove: unused local volumes passing `label`/`label!`, and — unless `all` —
 * only anonymous ones. `label!` excludes a volume when all its terms match (dockerd's rule).
 */
export function pruneCandidates(volumes: readonly VolumeRecord[], filters: VolumeFilters, all: boolean, inUse: (name: string) => boolean): VolumeRecord[] {
  return volumes.filter(
    (v) =>
      v.driver === 'local' &&
      !inUse(v.name) &&
      matchAllLabels(v.labels, filters.label) &&
      !(filters['label!']?.length && matchAllLabels(v.labels, filters['label!'])) &&
      (all || (v.labels !== null && Object.prototype.hasOwnProperty.call(v.labels, ANONYMOUS_LABEL))),
  );
}
