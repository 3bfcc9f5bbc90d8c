import { IpAddr } from '@app/common';
import { formatAddress, parseAddress, parseToken } from '@app/overlay';

/**
 * The `cluster` key of daemon.json: join (or rejoin) a cluster at boot without `netctl cluster join`,
 * and the membership timeouts.
 *   { "token": "…", "advertise-addr": "192.0.2.2", "listen-port": 7946, "bootstrap": ["192.0.2.254:49737"], "name": "h2",
 *     "node-timeout": 10, "reclaim-timeout": 300 }
 * The join keys are only used when the node has no persisted membership; a persisted one always wins
 * (as after a `cluster join`), so a restart with the same file does not join twice. The timeouts alone
 * (no token) are valid: they apply to a membership made later through the API.
 */
export interface ClusterBootConfig {
  /** Absent when the file sets only timeouts; then so are the other join keys. */
  readonly token?: string;
  readonly advertiseAddr?: string;
  readonly listenPort?: number;
  /** Extra DHT bootstrap addresses (`ip:port`) besides the token's. */
  readonly bootstrap?: readonly string[];
  readonly name?: string;
  /** `node-timeout` (seconds): silence after which a member is down and its endpoints vanish. */
  readonly nodeTimeoutMs?: number;
  /** `reclaim-timeout` (seconds): silence after which a member's address blocks may be leased by others. */
  readonly reclaimTimeoutMs?: number;
}

const JOIN_KEYS = ['token', 'advertise-addr', 'listen-port', 'bootstrap', 'name'];
const TIMEOUT_KEYS = ['node-timeout', 'reclaim-timeout'];
const MAX_TIMEOUT_S = 86_400;

/** Validates the raw value; throws an Error whose message completes `"cluster" …`. */
export function parseClusterConfig(value: unknown): ClusterBootConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('must be an object');
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !JOIN_KEYS.includes(k) && !TIMEOUT_KEYS.includes(k));
  if (unknown.length > 0) throw new Error(`has unknown keys: ${unknown.join(', ')}`);
  const timeouts = parseTimeouts(v);
  const joining = Object.keys(v).some((k) => JOIN_KEYS.includes(k));
  if (!joining && Object.keys(v).length > 0) return timeouts;
  if (typeof v.token !== 'string' || v.token.length === 0) throw new Error('needs "token" (from `netctl cluster init`)');
  try {
    parseToken(v.token);
  } catch (e) {
    throw new Error(`"token" is invalid: ${(e as Error).message}`);
  }
  const addr = typeof v['advertise-addr'] === 'string' ? IpAddr.tryParse(v['advertise-addr']) : undefined;
  if (!addr || addr.family !== 4 || addr.toString() === '0.0.0.0') throw new Error('needs "advertise-addr", a specific IPv4 address');
  const port = v['listen-port'];
  if (port !== undefined && (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)) throw new Error('"listen-port" must be an integer between 1 and 65535');
  let bootstrap: string[] | undefined;
  if (v.bootstrap !== undefined) {
    if (!Array.isArray(v.bootstrap) || v.bootstrap.length > 64) throw new Error('"bootstrap" must be a list of ip:port strings');
    bootstrap = v.bootstrap.map((b) => {
      try {
        return formatAddress(parseAddress(b));
      } catch {
        throw new Error(`"bootstrap" holds an invalid address ${JSON.stringify(b)}: expected ip:port`);
      }
    });
  }
  if (v.name !== undefined && (typeof v.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/.test(v.name))) throw new Error('"name" must be a host-name-like string');
  return { token: v.token, advertiseAddr: addr.toString(), listenPort: port as number | undefined, bootstrap, name: v.name as string | undefined, ...timeouts };
}

function parseTimeouts(v: Record<string, unknown>): Pick<ClusterBootConfig, 'nodeTimeoutMs' | 'reclaimTimeoutMs'> {
  const seconds = (key: string): number | undefined => {
    const t = v[key];
    if (t === undefined) return undefined;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > MAX_TIMEOUT_S) throw new Error(`"${key}" must be a number of seconds above 0 and at most ${MAX_TIMEOUT_S}`);
    return Math.round(t * 1000);
  };
  const out = { nodeTimeoutMs: seconds('node-timeout'), reclaimTimeoutMs: seconds('reclaim-timeout') };
  if (out.nodeTimeoutMs !== undefined && out.reclaimTimeoutMs !== undefined && out.reclaimTimeoutMs < out.nodeTimeoutMs) {
    throw new Error('"reclaim-timeout" must not be shorter than "node-timeout"');
  }
  return out;
}
