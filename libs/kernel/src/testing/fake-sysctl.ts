import { NotFoundError } from '@app/common';
import type { NetnsRef } from '../netlink.port';
import { Sysctl } from '../sysctl.port';
import { checkSysctlValue, sysctlPath } from '../sysctl-key';
import type { FakeNetlink } from './fake-netlink';

/** Keys a fresh namespace has, with the kernel's defaults. */
const GLOBAL_DEFAULTS: Record<string, string> = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.ip_unprivileged_port_start': '1024',
  'net.ipv6.conf.all.forwarding': '0',
};
/** Per-interface keys (under conf.all, conf.default and conf.<dev>). */
const CONF_DEFAULTS: Record<'ipv4' | 'ipv6', Record<string, string>> = {
  ipv4: { forwarding: '0', route_localnet: '0', rp_filter: '0', proxy_arp: '0', accept_local: '0', arp_ignore: '0' },
  ipv6: { forwarding: '0', disable_ipv6: '0', accept_ra: '1', accept_dad: '1' },
};

/**
 * Per-namespace sysctl values in memory, limited to the keys netd uses. Unknown keys are
 * NotFound, non-integer values InvalidParameter, as /proc/sys answers. Wired to a FakeNetlink,
 * `net.ipv4.conf.<dev>.*` exists only while the link exists in that namespace.
 */
export class FakeSysctl extends Sysctl {
  private readonly values = new Map<string, Map<string, string>>();

  constructor(private readonly netlink?: FakeNetlink) {
    super();
  }

  async get(ns: NetnsRef, key: string): Promise<string> {
    const value = this.lookup(ns, key);
    if (value === undefined) throw new NotFoundError(`sysctl ${key}: ENOENT (No such file or directory)`);
    return value;
  }

  async set(ns: NetnsRef, key: string, value: string): Promise<void> {
    if (this.lookup(ns, key) === undefined) throw new NotFoundError(`sysctl ${key}: ENOENT (No such file or directory)`);
    checkSysctlValue(key, value);
    const v = value.trim().split(/\s+/).join('\t');
    const mine = this.of(ns);
    mine.set(key, v);
    // ip_forward is an alias of conf.all.forwarding, as in the kernel.
    if (key === 'net.ipv4.ip_forward') mine.set('net.ipv4.conf.all.forwarding', v);
    if (key === 'net.ipv4.conf.all.forwarding') mine.set('net.ipv4.ip_forward', v);
  }

  private lookup(ns: NetnsRef, key: string): string | undefined {
    sysctlPath(key);
    const own = this.of(ns).get(key);
    if (own !== undefined) return own;
    if (key in GLOBAL_DEFAULTS) return GLOBAL_DEFAULTS[key];
    const m = /^net\.(ipv4|ipv6)\.conf\.([^.]+)\.([a-z_]+)$/.exec(key);
    if (!m) return undefined;
    const [, fam, dev, leaf] = m as unknown as [string, 'ipv4' | 'ipv6', string, string];
    const def = CONF_DEFAULTS[fam][leaf];
    if (def === undefined) return undefined;
    if (dev === 'all' || dev === 'default') return def;
    if (!this.netlink) return def;
    const exists = this.netlink.linksIn(ns).some((l) => l.name === dev.replace(/\//g, '.'));
    return exists ? (this.of(ns).get(key.replace(`.${dev}.`, '.default.')) ?? def) : undefined;
  }

  private of(ns: NetnsRef): Map<string, string> {
    let m = this.values.get(ns.path);
    if (!m) this.values.set(ns.path, (m = new Map()));
    return m;
  }
}
