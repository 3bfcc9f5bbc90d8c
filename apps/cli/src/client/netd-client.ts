import type {
  ConnectNetworkDto,
  CreateNetworkDto,
  DisconnectNetworkDto,
  ErrorBody,
  NetworkCreateResponse,
  NetworkInspect,
  NetworkPruneResponse,
  NetworkSummary,
  VersionResponse,
} from '@app/api';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { ConnectionError, DaemonError } from './errors';
import type { Endpoint } from './host';
import { API_VERSION, encodeFilters, type Filters, type InfoResponse, type NetdApi } from './netd-api';

const USER_AGENT = 'netctl';
const TIMEOUT_MS = 60_000;

interface RawResponse {
  status: number;
  body: string;
}

/**
 * The daemon's Engine API over a unix socket or TCP(+TLS). Uses node:http rather than undici:
 * one request per run does not need a pool, and not loading undici keeps `netctl` start-up near
 * `node -e 0` (bench/cli).
 */
export class NetdClient implements NetdApi {
  constructor(
    private readonly endpoint: Endpoint,
    private readonly debug: (line: string) => void = () => undefined,
  ) {}

  version(): Promise<VersionResponse> {
    return this.json('GET', '/version');
  }

  info(): Promise<InfoResponse> {
    return this.json('GET', '/info');
  }

  listNetworks(filters?: Filters): Promise<NetworkSummary[]> {
    return this.json('GET', '/networks', { filters: encodeFilters(filters) });
  }

  async inspectNetworkWithRaw(idOrName: string, opts: { verbose?: boolean } = {}): Promise<{ network: NetworkInspect; raw: string }> {
    const r = await this.call('GET', `/networks/${encodeURIComponent(idOrName)}`, { verbose: opts.verbose ? 'true' : undefined });
    return { network: JSON.parse(r.body) as NetworkInspect, raw: r.body };
  }

  createNetwork(req: CreateNetworkDto): Promise<NetworkCreateResponse> {
    return this.json('POST', '/networks/create', {}, req);
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.call('DELETE', `/networks/${encodeURIComponent(idOrName)}`);
  }

  pruneNetworks(filters?: Filters): Promise<NetworkPruneResponse> {
    return this.json('POST', '/networks/prune', { filters: encodeFilters(filters) });
  }

  async connectNetwork(idOrName: string, req: ConnectNetworkDto): Promise<void> {
    await this.call('POST', `/networks/${encodeURIComponent(idOrName)}/connect`, {}, req);
  }

  async disconnectNetwork(idOrName: string, req: DisconnectNetworkDto): Promise<void> {
    await this.call('POST', `/networks/${encodeURIComponent(idOrName)}/disconnect`, {}, req);
  }

  private async json<T>(method: string, path: string, query: Record<string, string | undefined> = {}, body?: unknown): Promise<T> {
    const r = await this.call(method, path, query, body);
    return JSON.parse(r.body) as T;
  }

  private async call(method: string, path: string, query: Record<string, string | undefined> = {}, body?: unknown): Promise<RawResponse> {
    const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    const fullPath = `/v${API_VERSION}${path}${qs ? `?${qs}` : ''}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    this.debug(`${method} ${fullPath}${payload ? ` ${payload}` : ''}`);
    const r = await this.send(method, fullPath, payload);
    this.debug(`-> ${r.status} ${r.body.length} bytes`);
    if (r.status >= 400) throw new DaemonError(r.status, errorMessage(r));
    return r;
  }

  private async send(method: string, path: string, payload: string | undefined): Promise<RawResponse> {
    const ep = this.endpoint;
    // node:https costs ~6 ms to load; only TLS connections pay for it.
    const httpsRequest = ep.kind === 'tcp' && ep.tls ? (await import('node:https')).request : undefined;
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const base: RequestOptions = { method, path, headers, timeout: TIMEOUT_MS };
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => reject(new ConnectionError(ep.url, { cause: e })));
      };
      let req;
      try {
        if (ep.kind === 'unix') {
          req = httpRequest({ ...base, socketPath: ep.socketPath, host: 'localhost' }, onResponse);
        } else if (!ep.tls) {
          req = httpRequest({ ...base, host: ep.hostname, port: ep.port }, onResponse);
        } else if (httpsRequest && ep.tls) {
          const file = (p: string) => (existsSync(p) ? readFileSync(p) : undefined);
          req = httpsRequest(
            { ...base, host: ep.hostname, port: ep.port, ca: file(ep.tls.ca), cert: file(ep.tls.cert), key: file(ep.tls.key), rejectUnauthorized: ep.tls.verify },
            onResponse,
          );
        } else {
          throw new Error('unreachable: TLS endpoint without https');
        }
      } catch (e) {
        reject(new ConnectionError(ep.url, { cause: e }));
        return;
      }
      req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on('error', (e) => reject(new ConnectionError(ep.url, { cause: e })));
      req.end(payload);
    });
  }
}

function errorMessage(r: RawResponse): string {
  try {
    const body = JSON.parse(r.body) as Partial<ErrorBody>;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: fall through to the raw text, as docker does
  }
  return r.body.trim() || `status ${r.status}`;
}
