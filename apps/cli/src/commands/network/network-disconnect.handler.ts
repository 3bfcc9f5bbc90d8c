import type { Handler } from '../../command';
import type { NetworkDisconnectOptions } from './network-disconnect.command';

export const networkDisconnectHandler: Handler<NetworkDisconnectOptions> = async ({ args, opts }, { client }) => {
  const [network, container] = args;
  await client.disconnectNetwork(network, { Container: container, Force: Boolean(opts.force) });
};
