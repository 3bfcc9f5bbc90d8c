/**
 * Docker Engine API 1.47 endpoints netd has no route for. A client that calls one (docker cp,
 * docker stats, docker-compose's pause/top) is told which endpoint is missing with 501 instead of
 * dockerd's `page not found`, which reads as a broken daemon or a wrong API version. Swarm
 * endpoints have their own answer (system.controller.ts) and volumes theirs; an endpoint netd
 * routes never reaches this table.
 */
const ENDPOINTS: ReadonlyArray<readonly [method: string, path: string]> = [
  ['GET', '/containers/{id}/changes'],
  ['GET', '/containers/{id}/export'],
  ['GET', '/containers/{id}/attach/ws'],
  ['GET', '/images/search'],
  ['POST', '/commit'],
  ['POST', '/build/prune'],
  ['POST', '/build/cancel'],
  ['POST', '/session'],
  ['POST', '/auth'],
  ['GET', '/distribution/{name}/json'],
  ['GET', '/plugins'],
  ['GET', '/plugins/privileges'],
  ['POST', '/plugins/pull'],
  ['POST', '/plugins/create'],
  ['GET', '/plugins/{name}/json'],
  ['DELETE', '/plugins/{name}'],
  ['POST', '/plugins/{name}/enable'],
  ['POST', '/plugins/{name}/disable'],
  ['POST', '/plugins/{name}/upgrade'],
  ['POST', '/plugins/{name}/push'],
  ['POST', '/plugins/{name}/set'],
];

// {id} is one path segment; image and plugin names may hold `/` (dockerd routes them as `{name:.*}`)
const MATCHERS = ENDPOINTS.map(([method, path]) => ({
  method,
  path,
  re: new RegExp(`^${path.replace(/\{id\}/g, '[^/]+').replace(/\{name\}/g, '.+')}/?$`),
}));

/** The Docker endpoint `method path` (path without `/vX.Y` and query) names, when netd lacks it. */
export function unimplementedEndpoint(method: string, path: string): string | undefined {
  const m = MATCHERS.find((e) => e.method === method && e.re.test(path));
  return m && `${m.method} ${m.path}`;
}

/** The message of the 501 answer. */
export const notImplementedMessage = (endpoint: string) => `${endpoint} is not implemented by netd`;

export const UNIMPLEMENTED_ENDPOINTS = ENDPOINTS;
