import { parseExtraHost, type ContainerRecord } from '@app/container';
import type { SandboxDnsOptions } from './sandbox-dns';

/** What the DNS takes from a container's record: it outlives daemon restarts, unlike sandboxUp's arguments. */
export interface ContainerDnsView {
  /** Config.Hostname (the short id when none was given). */
  readonly hostname?: string;
  /** HostConfig.Dns, DnsSearch, DnsOptions. */
  readonly options: SandboxDnsOptions;
  /** `--add-host` entries, name → addresses, with `host-gateway` resolved. */
  readonly extraHosts?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The DNS view of a container record. `hostGateway` is what `host-gateway` stands for; entries
 * that cannot be resolved (no gateway known) or do not parse are skipped (`skipped` says which),
 * since the container was already accepted with them and its /etc/hosts reports them.
 */
export function containerDnsView(
  rec: ContainerRecord,
  hostGateway: string | undefined,
  skipped: (entry: string, why: string) => void = () => undefined,
): ContainerDnsView {
  const extra: Record<string, string[]> = {};
  for (const text of rec.spec.extraHosts ?? []) {
    try {
      const h = parseExtraHost(text);
      const ip = h.ip === 'host-gateway' ? hostGateway : h.ip.toString();
      if (ip === undefined) {
        skipped(text, 'no host-gateway address is known');
        continue;
      }
      (extra[h.name] ??= []).push(ip);
    } catch (e) {
      skipped(text, (e as Error).message);
    }
  }
  const dns = rec.spec.dns;
  return {
    hostname: rec.hostname || undefined,
    options: { dns: dns?.dns, dnsSearch: dns?.dnsSearch, dnsOptions: dns?.dnsOptions },
    extraHosts: Object.keys(extra).length > 0 ? extra : undefined,
  };
}
