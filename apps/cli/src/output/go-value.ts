/**
 * How Go's fmt prints a value with %v, which is what a bare `{{.Field}}` shows. JSON alone cannot
 * tell a Go map from a struct, so fields that are maps in docker's types are named here, and the
 * IPAM pool struct lists its fields so that omitted ones print as Go's zero values.
 */
const MAP_FIELDS = new Set(['Labels', 'Options', 'Containers', 'AuxiliaryAddresses', 'DriverOpts', 'Subnets', 'Services', 'Networks']);
const STRUCT_FIELDS: Record<string, readonly string[]> = {
  Config: ['Subnet', 'IPRange', 'Gateway', 'AuxiliaryAddresses'],
};
const ARRAY_FIELDS = new Set(['Config', 'Peers', 'Aliases', 'Links', 'DNSNames']);

export function goString(v: unknown, field?: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '<no value>';
  if (v === null) {
    if (field && MAP_FIELDS.has(field)) return 'map[]';
    if (field && ARRAY_FIELDS.has(field)) return '[]';
    return '<nil>';
  }
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return '<func>';
  if (Array.isArray(v)) return `[${v.map((x) => goString(x, field)).join(' ')}]`;
  const obj = v as Record<string, unknown>;
  if (field && MAP_FIELDS.has(field)) {
    return `map[${Object.keys(obj)
      .sort()
      .map((k) => `${k}:${goString(obj[k])}`)
      .join(' ')}]`;
  }
  const keys = (field && STRUCT_FIELDS[field]) || Object.keys(obj);
  return `{${keys.map((k) => (obj[k] === undefined ? zero(k) : goString(obj[k], k))).join(' ')}}`;
}

function zero(field: string): string {
  if (MAP_FIELDS.has(field)) return 'map[]';
  if (ARRAY_FIELDS.has(field)) return '[]';
  return '';
}
