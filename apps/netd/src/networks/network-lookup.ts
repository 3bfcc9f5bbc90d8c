import { InvalidParameterError, matchAllLabels, NotFoundError, parseFilterArgs } from '@app/common';
import type { NetworkRecord } from '../store/state-store';

/** Docker's lookup order: full id, exact name, id prefix (more than one match: ambiguous). */
export function findNetwork(all: readonly NetworkRecord[], term: string): NetworkRecord {
  const visible = all.filter((n) => n.state !== 'creating');
  const byId = visible.find((n) => n.id === term);
  if (byId) return byId;
  const byName = visible.filter((n) => n.name === term);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) throw new InvalidParameterError(`network ${term} is ambiguous (${byName.length} matches found based on name)`);
  const byPrefix = term.length > 0 ? visible.filter((n) => n.id.startsWith(term)) : [];
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1) {
    throw new InvalidParameterError(`network ${term} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
  }
  throw new NotFoundError(`network ${term} not found`);
}

const FILTER_KEYS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
export type NetworkFilters = Partial<Record<FilterKey, string[]>>;

/** Docker's `filters` query value; unknown keys are an error, as in dockerd. */
export function parseFilters(text: string | undefined, allowed: readonly string[] = FILTER_KEYS): Record<string, string[]> {
  return parseFilterArgs(text, allowed);
}


/** Filter networks; values of one key are OR-ed, keys are AND-ed. Matching uses plain substrings (no user regex). */
export function filterNetworks(
  networks: readonly NetworkRecord[],
  filters: NetworkFilters,
  endpointCount: (networkId: string) => number,
): NetworkRecord[] {
  for (const t of filters.type ?? []) {
    if (t !== 'custom' && t !== 'builtin') throw new InvalidParameterError(`invalid filter: 'type'='${t}'`);
  }
  let dangling: boolean | undefined;
  for (const d of filters.dangling ?? []) {
    if (['true', '1'].includes(d)) dangling = true;
    else if (['false', '0'].includes(d)) dangling = false;
    else throw new InvalidParameterError(`invalid filter 'dangling=${d}'`);
  }
  const any = (key: FilterKey, pred: (v: string) => boolean) => !filters[key]?.length || filters[key]!.some(pred);
  return networks.filter(
    (n) =>
      n.state !== 'creating' &&
      any('driver', (v) => n.driver === v) &&
      any('id', (v) => n.id.includes(v)) &&
      any('name', (v) => n.name.includes(v)) &&
      any('scope', (v) => n.scope === v) &&
      any('type', (v) => (v === 'builtin') === n.predefined) &&
      matchAllLabels(n.labels, filters.label) &&
      (dangling === undefined || dangling === (!n.predefined && endpointCount(n.id) === 0)),
  );
}

