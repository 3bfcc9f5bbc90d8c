import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AuthConfig } from '../../client/engine-types';
import type { CommandContext } from '../../context';
import { DOCKER_INDEX_SERVER } from './reference';

/** The part of docker's config.json that login, logout, pull and push use. */
interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [key: string]: unknown;
}

/** `--config DIR`, then DOCKER_CONFIG, then ~/.docker — docker's lookup order. */
export function configPath(ctx: Pick<CommandContext, 'configDir' | 'env'>): string {
  return join(ctx.configDir || ctx.env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/** docker.io (and its aliases) is stored under the index URL, as docker does. */
export function authKey(registry: string): string {
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io', DOCKER_INDEX_SERVER].includes(registry) ? DOCKER_INDEX_SERVER : registry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

export function readConfig(path: string): ConfigFile {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  return text.trim() ? (JSON.parse(text) as ConfigFile) : {};
}

/** Writes through a temp file and rename, mode 0600, keeping every key it does not own. */
export function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** Saved credentials for a registry, as the `X-Registry-Auth` config; undefined when none. */
export function loadAuth(ctx: Pick<CommandContext, 'configDir' | 'env'>, registry: string): AuthConfig | undefined {
  const key = authKey(registry);
  const entry = readConfig(configPath(ctx)).auths?.[key];
  if (!entry?.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: key };
}
