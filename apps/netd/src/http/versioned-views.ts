import type { ContainerInspect } from '@app/api/containers';
import type { NetworkSummary } from '@app/api';

/**
 * Answers as the API version a client asked for (`/v1.41/...`) shows them, where dockerd's
 * differ between versions (moby's `versions.LessThan` branches in its routers). netd keeps one
 * newest shape; these take away or add what an older version had.
 */
type Version = readonly [number, number];

const below = (v: Version, major: number, minor: number) => v[0] < major || (v[0] === major && v[1] < minor);

/** Networks: `EnableIPv4` is new in API 1.47. */
export function networkForVersion<T extends NetworkSummary>(n: T, v: Version): T {
  if (!below(v, 1, 47)) return n;
  const { EnableIPv4: _dropped, ...older } = n;
  return older as T;
}

/** dockerd's "user-defined" network modes: not the predefined ones, not another container's. */
const isUserDefined = (name: string) => !['default', 'bridge', 'host', 'none'].includes(name) && !name.startsWith('container:');

/**
 * Container inspect: before API 1.45 the aliases of a user-defined network also held the short
 * id and the hostname (compose 1.29 reads them to tell whether a container needs reconnecting).
 */
export function containerForVersion(c: ContainerInspect, v: Version): ContainerInspect {
  if (!below(v, 1, 45)) return c;
  const extra = [c.Id.slice(0, 12), String(c.Config.Hostname ?? '')].filter((x) => x !== '');
  const networks = Object.fromEntries(
    Object.entries(c.NetworkSettings.Networks).map(([name, ep]) => [
      name,
      isUserDefined(name) ? { ...ep, Aliases: [...new Set([...(ep.Aliases ?? []), ...extra])] } : ep,
    ]),
  );
  return { ...c, NetworkSettings: { ...c.NetworkSettings, Networks: networks } };
}
