import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors';

export const DEFAULT_HOST = 'unix:///run/netd/netd.sock';
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;

/** Global flags and environment that decide where and how to connect. */
export interface HostFlags {
  host?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export type Endpoint =
  | { kind: 'unix'; url: string; socketPath: string }
  | {
      kind: 'tcp';
      url: string;
      hostname: string;
      port: number;
      /** Present when TLS is on. `verify` false is docker's `--tls` without `--tlsverify`. */
      tls?: { verify: boolean; ca: string; cert: string; key: string };
    };

/**
 * `-H`, then NETD_HOST, then DOCKER_HOST, then the default socket. TLS follows docker: on with
 * `--tls`/`--tlsverify` or DOCKER_TLS_VERIFY; certificates default to DOCKER_CERT_PATH or ~/.docker.
 */
export function resolveEndpoint(flags: HostFlags, env: NodeJS.ProcessEnv = process.env): Endpoint {
  const url = flags.host || env.NETD_HOST || env.DOCKER_HOST || DEFAULT_HOST;
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath) throw new UsageError(`invalid host ${JSON.stringify(url)}: empty socket path`);
    return { kind: 'unix', url, socketPath };
  }
  if (url.startsWith('tcp://')) {
    const rest = url.slice('tcp://'.length).replace(/\/+$/, '');
    const verify = Boolean(flags.tlsverify || env.DOCKER_TLS_VERIFY);
    const useTls = verify || Boolean(flags.tls);
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(rest);
    if (!m) throw new UsageError(`invalid host ${JSON.stringify(url)}: expected tcp://HOST[:PORT]`);
    const port = m[2] ? Number(m[2]) : useTls ? DEFAULT_TLS_PORT : DEFAULT_TCP_PORT;
    if (!(port > 0 && port < 65536)) throw new UsageError(`invalid host ${JSON.stringify(url)}: bad port`);
    const certDir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
    return {
      kind: 'tcp',
      url,
      hostname: m[1].replace(/^\[|\]$/g, ''),
      port,
      tls: useTls
        ? {
            verify,
            ca: flags.tlscacert || join(certDir, 'ca.pem'),
            cert: flags.tlscert || join(certDir, 'cert.pem'),
            key: flags.tlskey || join(certDir, 'key.pem'),
          }
        : undefined,
    };
  }
  throw new UsageError(`unsupported host ${JSON.stringify(url)}: use unix:///path or tcp://host:port`);
}
