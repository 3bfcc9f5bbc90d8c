import { DEFAULT_REGISTRY, InvalidParameterError } from '@app/common';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parse a WWW-Authenticate header (RFC 7235): `Bearer realm="https://auth/token",service="reg",
 * scope="repository:x:pull"`. Several challenges in one header are returned in order.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const malformed = () => new InvalidParameterError(`malformed WWW-Authenticate header: ${header}`);
  let i = 0;
  const token = (): string | undefined => {
    const m = /^[\w!#$%&'*+.^`|~/-]+/.exec(header.slice(i));
    if (m) i += m[0].length;
    return m?.[0];
  };
  for (;;) {
    while (i < header.length && /[\s,]/.test(header[i])) i++;
    if (i >= header.length) return out;
    const name = token();
    if (!name) throw malformed();
    let j = i;
    while (header[j] === ' ') j++;
    if (header[j] !== '=' || out.length === 0) {
      out.push({ scheme: name.toLowerCase(), params: {} });
      continue;
    }
    i = j + 1;
    while (header[i] === ' ') i++;
    let value = '';
    if (header[i] === '"') {
      for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? header[++i] : header[i];
      if (header[i++] !== '"') throw malformed();
    } else {
      value = token() ?? '';
    }
    out[out.length - 1].params[name.toLowerCase()] = value;
  }
}

export interface Credentials {
  username: string;
  password: string;
}

/** The `auths` section of a docker-style config.json (`netctl login` writes it). */
export interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
}

/** docker.io credentials live under Docker's historical index URL. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

function authKeys(registry: string): string[] {
  if (registry === DEFAULT_REGISTRY) return [DOCKER_HUB_AUTH_KEY, 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

/** Credentials for a registry host from a parsed config.json, or undefined (anonymous). */
export function credentialsFor(config: DockerConfigFile, registry: string): Credentials | undefined {
  for (const key of authKeys(registry)) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.auth) {
      const text = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon < 0) throw new InvalidParameterError(`invalid auth entry for ${registry} in config.json`);
      return { username: text.slice(0, colon), password: text.slice(colon + 1) };
    }
    if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** The entry `netctl login` adds to config.json. */
export function authEntry(creds: Credentials): { auth: string } {
  return { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
}

export function basicHeader(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}
