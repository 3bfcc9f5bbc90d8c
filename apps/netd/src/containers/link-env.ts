import { parsePortKey } from './container-request';

export interface LinkTarget {
  /** The linked container's name, without `/`. */
  name: string;
  ip: string;
  /** `80/tcp` keys. */
  exposed: readonly string[];
  env: readonly string[];
}

/**
 * Docker's legacy link environment (`daemon/links`): `ALIAS_NAME=/me/alias`, `ALIAS_PORT*` for
 * the exposed ports (the lowest one as `ALIAS_PORT`), and the target's env as `ALIAS_ENV_*`
 * (without HOME and PATH, which Docker skips).
 */
export function linkEnv(alias: string, self: string, t: LinkTarget): string[] {
  const prefix = alias.toUpperCase().replace(/-/g, '_');
  const ports = t.exposed.map(parsePortKey).sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto));
  const out: string[] = [];
  if (ports.length > 0) out.push(`${prefix}_PORT=${ports[0].proto}://${t.ip}:${ports[0].port}`);
  for (const p of ports) {
    const k = `${prefix}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    out.push(`${k}=${p.proto}://${t.ip}:${p.port}`, `${k}_ADDR=${t.ip}`, `${k}_PORT=${p.port}`, `${k}_PROTO=${p.proto}`);
  }
  out.push(`${prefix}_NAME=/${self.replace(/^\//, '')}/${alias}`);
  for (const e of t.env) {
    const eq = e.indexOf('=');
    if (eq <= 0) continue;
    const key = e.slice(0, eq);
    if (key === 'HOME' || key === 'PATH') continue;
    out.push(`${prefix}_ENV_${key}=${e.slice(eq + 1)}`);
  }
  return out;
}
