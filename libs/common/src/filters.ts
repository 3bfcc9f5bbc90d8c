import { InvalidParameterError } from './errors';

/**
 * Docker's `filters` query value (moby's filters.FromJSON): a JSON object mapping each key to a
 * list of strings, or the older `{"key":{"value":true}}` form, whose true values count. A key
 * outside `allowed` is `invalid filter 'key'`, as in dockerd. The result has no prototype, so a
 * key such as `constructor` is data like any other.
 */
export function parseFilterArgs(text: string | undefined, allowed: readonly string[]): Record<string, string[]> {
  if (text === undefined || text === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidParameterError(`invalid filters: ${text.slice(0, 200)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidParameterError('invalid filters: expected a JSON object');
  const out = Object.create(null) as Record<string, string[]>;
  for (const [key, value] of Object.entries(raw)) {
    if (!allowed.includes(key)) throw new InvalidParameterError(`invalid filter '${key}'`);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out[key] = value;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'boolean')) {
      out[key] = Object.entries(value as Record<string, boolean>).filter(([, on]) => on).map(([k]) => k);
    } else throw new InvalidParameterError(`invalid filter '${key}': expected a list of strings`);
  }
  return out;
}

/**
 * One `label` filter term (`key` or `key=value`) against a label map, as dockerd's MatchKVList.
 * Own keys only: `toString` is a label name like any other, not Object.prototype's.
 */
export function matchLabel(labels: Readonly<Record<string, string>> | null | undefined, term: string): boolean {
  if (!labels) return false;
  const eq = term.indexOf('=');
  const key = eq < 0 ? term : term.slice(0, eq);
  return Object.hasOwn(labels, key) && (eq < 0 || labels[key] === term.slice(eq + 1));
}

/** Every term matches (no terms match everything), as dockerd's label filters. */
export function matchAllLabels(labels: Readonly<Record<string, string>> | null | undefined, terms: readonly string[] | undefined): boolean {
  return (terms ?? []).every((t) => matchLabel(labels, t));
}
