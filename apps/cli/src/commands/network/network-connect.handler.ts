import type { ConnectNetworkDto } from '@app/api';
import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import type { NetworkConnectOptions } from './network-connect.command';
import { parseKeyValues } from './filters';

/** Sends only the configuration part of EndpointSettings; empty lists are left out. */
export const networkConnectHandler: Handler<NetworkConnectOptions> = async ({ args, opts }, { client }) => {
  const [network, container] = args;
  const config: NonNullable<ConnectNetworkDto['EndpointConfig']> = {};
  if (opts.ip || opts.ip6 || opts.linkLocalIp.length) {
    config.IPAMConfig = {
      ...(opts.ip ? { IPv4Address: opts.ip } : {}),
      ...(opts.ip6 ? { IPv6Address: opts.ip6 } : {}),
      ...(opts.linkLocalIp.length ? { LinkLocalIPs: opts.linkLocalIp } : {}),
    };
  }
  if (opts.link.length) config.Links = opts.link;
  if (opts.alias.length) config.Aliases = opts.alias;
  if (opts.driverOpt.length) config.DriverOpts = parseKeyValues(opts.driverOpt);
  if (opts.gwPriority !== undefined) {
    const n = Number(opts.gwPriority);
    if (!Number.isInteger(n)) throw new UsageError(`invalid argument "${opts.gwPriority}" for "--gw-priority" flag: invalid syntax`, 125);
    config.GwPriority = n;
  }
  await client.connectNetwork(network, { Container: container, ...(Object.keys(config).length ? { EndpointConfig: config } : {}) });
};
