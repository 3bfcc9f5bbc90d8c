import { UsageError } from '../../client/errors';
import type { Filters } from '../../client/netd-api';
import { EXIT_USAGE } from '../../context';
import * as messages from '../../messages';

/** `-f key=value` flags → Filters. A value without `=` is a flag error (exit 125), as in docker. */
export function parseFilters(values: readonly string[], command: string): Filters {
  const out: Filters = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) throw new UsageError(`${messages.badFilter(v)}\n${messages.seeHelp(command)}`, EXIT_USAGE);
    const key = v.slice(0, eq).trim().toLowerCase();
    (out[key] ??= []).push(v.slice(eq + 1).trim());
  }
  return out;
}

/** `key=value` list flags (labels, -o, --driver-opt) → map; a missing `=` gives an empty value. */
export function parseKeyValues(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
