import ipaddr from 'ipaddr.js';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { DEFAULT_REGISTRY, ForbiddenError, InvalidParameterError, NotFoundError, SystemError, UnavailableError } from '@app/common';
import { basicHeader, parseChallenges, type Credentials } from './auth';

export interface RegistryClientOptions {
  /** Registries (host, host:port or CIDR) reached over plain HTTP; loopback and localhost always are. */
  insecureRegistries?: readonly string[];
  /** Credentials per registry host (from config.json via `credentialsFor`, or X-Registry-Auth). */
  credentials?: (registry: string) => Credentials | undefined;
  userAgent?: string;
  dispatcher?: Dispatcher;
  /** How idempotent requests are retried after a connection failure or a 5xx (default DEFAULT_RETRY). */
  retry?: Partial<RetryPolicy>;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Wait before the first retry, doubled for each further one (with jitter) up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  /** The longest wait, a server's Retry-After included. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4000 };

/** Transport failures worth another attempt: the connection went away or never answered in time. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CLOSED',
]);

function transient(e: unknown): boolean {
  const codes = [(e as { code?: string })?.code, (e as { cause?: { code?: string } })?.cause?.code];
  return codes.some((c) => c !== undefined && TRANSIENT_CODES.has(c));
}

/**
 * Requests that may be sent again without changing the outcome: reads, and the PUT that closes a
 * blob upload (it names the blob by digest, so a second one stores the same bytes). A POST (start
 * an upload, mount) or PATCH (append a chunk) could act twice, so it is never repeated.
 */
export function isIdempotent(method: RegistryRequest['method'], url: URL): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return method === 'PUT' && url.pathname.includes('/blobs/uploads/') && url.searchParams.has('digest');
}

export interface RegistryRequest {
  registry: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the registry root (`/v2/...`) or an absolute URL (upload locations). */
  path: string;
  /** Token scopes this request needs, e.g. `repository:library/busybox:pull`. */
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** A body factory, so the request can be replayed after an auth challenge. */
  body?: () => Buffer | Readable;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  url: URL;
}

const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';
const MAX_REDIRECTS = 5;
/** Manifests are a few KiB; a registry sending more is refused rather than buffered. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** What is read of an error body or a token response (only its message matters). */
const MAX_SMALL_BODY_BYTES = 64 * 1024;

/**
 * Read a response body whole, but at most `limit` bytes: beyond that the connection is dropped
 * and InvalidParameterError names `what`, so a hostile registry cannot make netd buffer without bound.
 */
export async function readLimited(body: RegistryResponse['body'], limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) {
      body.destroy();
      throw new InvalidParameterError(`${what} is larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** The start of a body for an error message (the rest is dropped unread). */
export async function errorBody(body: RegistryResponse['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    chunks.push(c);
    size += c.length;
    if (size >= MAX_SMALL_BODY_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_SMALL_BODY_BYTES).toString('utf8');
}

/**
 * HTTP to OCI distribution registries: scheme choice, the Bearer token flow on a
 * WWW-Authenticate challenge, Basic auth, redirects (blob storage) and registry error bodies
 * mapped to NetdError kinds. Tokens are cached per registry and scope set.
 */
export class RegistryClient {
  private readonly tokens = new Map<string, string>();
  private readonly challenges = new Map<string, { scheme: string; params: Record<string, string> }>();
  private readonly dispatcher: Dispatcher;
  /** Repositories known to hold a blob, per registry: the sources of cross-repository mounts. */
  private readonly blobSources = new Map<string, Set<string>>();
  private readonly retry: RetryPolicy;

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.dispatcher = opts.dispatcher ?? new Agent({ connections: 8, keepAliveTimeout: 10_000 });
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  baseUrl(registry: string): URL {
    const host = registry === DEFAULT_REGISTRY ? DOCKER_HUB_ENDPOINT : registry;
    return new URL(`${this.isInsecure(registry) ? 'http' : 'https'}://${host}`);
  }

  /** Loopback and `localhost` registries are plain HTTP, as with Docker; so are configured ones. */
  isInsecure(registry: string): boolean {
    const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.split(':')[0];
    if (host === 'localhost') return true;
    const ip = ipaddr.isValid(host) ? ipaddr.process(host) : undefined;
    if (ip && ip.range() === 'loopback') return true;
    for (const entry of this.opts.insecureRegistries ?? []) {
      if (entry === registry || entry === host) return true;
      if (ip && entry.includes('/') && ipaddr.isValidCIDR(entry)) {
        const cidr = ipaddr.parseCIDR(entry);
        if (cidr[0].kind() === ip.kind() && ip.match(cidr)) return true;
      }
    }
    return false;
  }

  /** Close pooled connections (the daemon at shutdown, tests in afterAll). */
  async close(): Promise<void> {
    if (!this.opts.dispatcher) await this.dispatcher.close();
  }

  recordBlobRepo(registry: string, repository: string, digest: string): void {
    const key = `${registry}|${digest}`;
    const set = this.blobSources.get(key) ?? new Set<string>();
    set.add(repository);
    this.blobSources.set(key, set);
  }

  blobRepos(registry: string, digest: string): string[] {
    return [...(this.blobSources.get(`${registry}|${digest}`) ?? [])];
  }

  /** Send a request, answering one auth challenge and following redirects. Never throws for HTTP statuses. */
  async send(req: RegistryRequest): Promise<RegistryResponse> {
    const base = this.baseUrl(req.registry);
    let url = /^https?:\/\//.test(req.path) ? new URL(req.path) : new URL(req.path, base);
    let authorization = await this.authorization(req.registry, req.scopes, false);
    for (let attempt = 0, redirects = 0; ; ) {
      const sameHost = url.host === base.host;
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'netd', ...req.headers };
      if (authorization && sameHost) headers.authorization = authorization;
      const res = await this.request(url, req.method, headers, req.body, `registry ${req.registry}`);
      if (res.statusCode === 401 && attempt === 0 && sameHost) {
        attempt++;
        const header = res.headers['www-authenticate'];
        const challenge = parseChallenges(Array.isArray(header) ? header[0] : header ?? '')[0];
        if (challenge) {
          this.challenges.set(req.registry, challenge);
          authorization = await this.authorization(req.registry, req.scopes, true);
          if (authorization) {
            await res.body.dump();
            continue;
          }
        }
      }
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location && redirects++ < MAX_REDIRECTS) {
        await res.body.dump();
        url = new URL(String(res.headers.location), url);
        continue;
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, url };
    }
  }

  /**
   * One HTTP exchange, retried with backoff while it is idempotent, the connection failed or the
   * answer is a 5xx, and attempts remain; the last answer is returned whatever its status. Written
   * here rather than with undici's RetryAgent: that one cannot send a streamed body again (the
   * body factory makes a fresh one), and it throws away the registry's error body on a final 5xx.
   */
  private async request(
    url: URL, method: RegistryRequest['method'], headers: Record<string, string>, body: RegistryRequest['body'], what: string,
  ): Promise<Dispatcher.ResponseData> {
    const attempts = isIdempotent(method, url) ? Math.max(1, this.retry.attempts) : 1;
    for (let n = 1; ; n++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method, headers, body: body?.(), dispatcher: this.dispatcher });
      } catch (e) {
        if (n >= attempts || !transient(e)) throw new UnavailableError(`${what}: ${(e as Error).message}`, { cause: e });
        await sleep(this.backoff(n));
        continue;
      }
      if (res.statusCode < 500 || n >= attempts) return res;
      await res.body.dump();
      await sleep(this.backoff(n, res.headers['retry-after']));
    }
  }

  /** The wait before retry `n` (1-based): a server's Retry-After in seconds, else exponential with jitter. */
  private backoff(n: number, retryAfter?: string | string[]): number {
    const { baseDelayMs, maxDelayMs } = this.retry;
    const asked = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    if (retryAfter !== undefined && Number.isFinite(asked) && asked >= 0) return Math.min(asked * 1000, maxDelayMs);
    return Math.min(baseDelayMs * 2 ** (n - 1), maxDelayMs) * (0.5 + Math.random() / 2);
  }

  /** The Authorization header for a registry and scope set, fetching a token when needed. */
  private async authorization(registry: string, scopes: readonly string[], refresh: boolean): Promise<string | undefined> {
    const challenge = this.challenges.get(registry);
    if (!challenge) return undefined;
    const creds = this.opts.credentials?.(registry);
    if (challenge.scheme === 'basic') return creds ? basicHeader(creds) : undefined;
    if (challenge.scheme !== 'bearer') throw new NotFoundError(`registry ${registry}: unsupported auth scheme ${challenge.scheme}`);
    const key = `${registry}|${[...scopes].sort().join(' ')}`;
    const cached = this.tokens.get(key);
    if (cached && !refresh) return `Bearer ${cached}`;
    const realm = challenge.params.realm;
    if (!realm) throw new InvalidParameterError(`registry ${registry}: bearer challenge without realm`);
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'netd' };
    if (creds) headers.authorization = basicHeader(creds);
    const res = await this.request(url, 'GET', headers, undefined, `token server ${url.host}`);
    if (res.statusCode !== 200) {
      const text = await errorBody(res.body);
      throw statusError(res.statusCode, `get token from ${url.host}`, text);
    }
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = JSON.parse((await readLimited(res.body, MAX_SMALL_BODY_BYTES, `token from ${url.host}`)).toString('utf8')) as typeof body;
    } catch (e) {
      throw new UnavailableError(`token server ${url.host}: ${(e as Error).message}`, { cause: e });
    }
    const token = typeof body?.token === 'string' ? body.token : typeof body?.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new SystemError(`token server ${url.host} returned no token`);
    this.tokens.set(key, token);
    return `Bearer ${token}`;
  }
}

/** Registry error body `{"errors":[{code,message}]}` → `manifest unknown: manifest unknown`. */
export function registryErrorText(body: string): string | undefined {
  try {
    const errs = (JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> }).errors;
    if (!Array.isArray(errs) || errs.length === 0) return undefined;
    return errs.map((e) => `${(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`).join(', ');
  } catch {
    return undefined;
  }
}

/** An HTTP status from a registry as a NetdError: 404 → NotFound, 401/403 → Forbidden, 429/5xx → Unavailable. */
export function statusError(status: number, context: string, body: string): Error {
  const detail = registryErrorText(body) ?? (body.trim().slice(0, 200) || `HTTP ${status}`);
  const message = `${context}: ${detail}`;
  if (status === 404) return new NotFoundError(message);
  if (status === 401 || status === 403) return new ForbiddenError(message);
  if (status === 400) return new InvalidParameterError(message);
  if (status === 429 || status >= 500) return new UnavailableError(message);
  return new SystemError(message);
}
