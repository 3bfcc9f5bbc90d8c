import type { IncomingMessage } from 'node:http';

export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

const PREFIX = /^\/v(\d+)\.(\d+)(?=\/|$|\?)/;

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

const parse = (v: string) => v.split('.').map(Number) as [number, number];

/** Why a requested API version is refused, in dockerd's words; undefined when accepted. */
export function versionProblem(major: number, minor: number): string | undefined {
  const v: [number, number] = [major, minor];
  if (compare(v, parse(API_VERSION)) > 0) {
    return `client version ${major}.${minor} is too new. Maximum supported API version is ${API_VERSION}`;
  }
  if (compare(v, parse(MIN_API_VERSION)) < 0) {
    return `client version ${major}.${minor} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  }
  return undefined;
}

export const VERSION_PROBLEM = Symbol('netdVersionProblem');
const REQUESTED = Symbol('netdRequestedVersion');

/** The `/vX.Y` a request was made with; an unversioned request speaks the newest (as dockerd). */
export function requestedVersion(req: IncomingMessage): [number, number] {
  return (req as unknown as Record<symbol, [number, number] | undefined>)[REQUESTED] ?? parse(API_VERSION);
}

/** Is the request's API version below `major.minor`? (dockerd's versions.LessThan) */
export function versionBelow(req: IncomingMessage, major: number, minor: number): boolean {
  return compare(requestedVersion(req), [major, minor]) < 0;
}

/**
 * Fastify `rewriteUrl`: strip `/vX.Y` so routes are declared once. A refused version is noted on
 * the request and answered with 400 by an onRequest hook (rewriteUrl cannot reply).
 */
export function rewriteUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const m = PREFIX.exec(url);
  if (!m) return url;
  // a version past any integer (`/v99999999999999999999.1`) is too new, not `Infinity`
  const problem = m[1].length > 6 || m[2].length > 6 ? `client version ${m[1].slice(0, 32)}.${m[2].slice(0, 32)} is too new. Maximum supported API version is ${API_VERSION}` : versionProblem(Number(m[1]), Number(m[2]));
  if (problem) (req as unknown as Record<symbol, string>)[VERSION_PROBLEM] = problem;
  (req as unknown as Record<symbol, [number, number]>)[REQUESTED] = [Number(m[1]), Number(m[2])];
  return url.slice(m[0].length) || '/';
}
