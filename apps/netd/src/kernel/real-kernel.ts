import { InProcessNetns, NftFirewall, ProcSysctl, RtNetlink } from '@app/kernel';
import type { NetdConfig } from '../config/netd-config';
import type { KernelPorts } from '../composition-root';

/** The production kernel ports: netlink sockets, in-process namespaces, nft, /proc/sys. */
export function realKernel(config: NetdConfig): KernelPorts {
  const netlink = new RtNetlink();
  return {
    netlink,
    netns: new InProcessNetns(config.netnsDir),
    firewall: new NftFirewall(),
    sysctl: new ProcSysctl(),
  };
}
