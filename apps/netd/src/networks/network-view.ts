import type { EndpointResource, NetworkInspect, NetworkSummary, SubnetStatus } from '@app/api';
import type { DriverCapabilities } from '@app/drivers/driver-api';
import type { PoolUsage } from '@app/ipam/ipam.contract';
import type { EndpointRecord, NetworkRecord } from '../store/state-store';

/** Predefined host/none (the singletons) show Go's zero time, as dockerd does. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function toSummary(n: NetworkRecord, caps: DriverCapabilities): NetworkSummary {
  const zero = n.predefined && caps.singleton;
  return {
    Name: n.name,
    Id: n.id,
    Created: zero ? ZERO_TIME : n.created,
    Scope: n.scope,
    Driver: n.driver,
    EnableIPv4: n.enableIpv4,
    EnableIPv6: n.enableIpv6,
    IPAM: { Driver: n.ipam.driver, Options: n.ipam.options, Config: n.ipam.config },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: n.ingress,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Options: n.options,
    Labels: n.labels,
  };
}

const toNumber = (v: bigint) => (v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v));

export function toInspect(
  n: NetworkRecord,
  caps: DriverCapabilities,
  endpoints: readonly EndpointRecord[],
  sandboxNames: ReadonlyMap<string, string>,
  usage: readonly { subnet: string; usage: PoolUsage }[],
): NetworkInspect {
  const containers: Record<string, EndpointResource> = {};
  for (const e of endpoints) {
    containers[e.sandboxId] = {
      Name: sandboxNames.get(e.sandboxId) ?? '',
      EndpointID: e.id,
      MacAddress: e.mac ?? '',
      IPv4Address: e.ipv4 ?? '',
      IPv6Address: e.ipv6 ?? '',
    };
  }
  const subnets: Record<string, SubnetStatus> = {};
  for (const u of usage) {
    subnets[u.subnet] = { IPsInUse: toNumber(u.usage.ipsInUse), DynamicIPsAvailable: toNumber(u.usage.dynamicIpsAvailable) };
  }
  return { ...toSummary(n, caps), Containers: containers, Status: { IPAM: { Subnets: subnets } } };
}
