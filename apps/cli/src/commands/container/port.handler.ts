import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';

/** docker port: `80/tcp -> 0.0.0.0:8080` per binding, or only the host side for one port. */
export const portHandler: Handler<Record<string, never>> = async ({ args }, { client, output, messages }) => {
  const [name, wanted] = args;
  const { container } = await client.inspectContainerWithRaw(name);
  const ports = container.NetworkSettings?.Ports ?? {};
  const host = (ip: string | undefined, port: string | undefined) => `${ip?.includes(':') ? `[${ip}]` : ip || '0.0.0.0'}:${port ?? ''}`;
  if (wanted) {
    const key = wanted.includes('/') ? wanted : `${wanted}/tcp`;
    const bindings = ports[key];
    if (!bindings?.length) throw new UsageError(messages.containers.noPublicPort(key, name));
    for (const b of bindings) output.line(host(b.HostIp, b.HostPort));
    return;
  }
  const keys = Object.keys(ports).sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b));
  for (const key of keys) for (const b of ports[key] ?? []) output.line(`${key} -> ${host(b.HostIp, b.HostPort)}`);
};
