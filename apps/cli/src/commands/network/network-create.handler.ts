import type { CreateNetworkDto } from '@app/api';
import type { Handler } from '../../command';
import type { NetworkCreateOptions } from './network-create.command';
import { parseKeyValues } from './filters';
import { consolidateIpam } from './ipam-config';

/** Builds docker's NetworkCreateRequest from the flags (client-side IPAM checks first), prints the id. */
export const networkCreateHandler: Handler<NetworkCreateOptions> = async ({ args, opts }, { client, output }) => {
  const config = consolidateIpam({ subnets: opts.subnet, ipRanges: opts.ipRange, gateways: opts.gateway, auxAddresses: opts.auxAddress });
  const req: CreateNetworkDto = {
    Name: args[0],
    Driver: opts.driver,
    Scope: opts.scope ?? '',
    ...(opts.ipv6 ? { EnableIPv6: true } : {}),
    IPAM: { Driver: opts.ipamDriver, Options: parseKeyValues(opts.ipamOpt), Config: config },
    Internal: Boolean(opts.internal),
    Attachable: Boolean(opts.attachable),
    Ingress: Boolean(opts.ingress),
    ConfigOnly: Boolean(opts.configOnly),
    Options: parseKeyValues(opts.opt),
    Labels: parseKeyValues(opts.label),
  };
  const res = await client.createNetwork(req);
  if (res.Warning) output.error(res.Warning);
  output.line(res.Id);
};
