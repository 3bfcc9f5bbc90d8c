import { defineCommand } from '../../command';

export interface NetworkRmOptions {
  force?: boolean;
}

export const networkRm = defineCommand<NetworkRmOptions>({
  path: ['network', 'rm'],
  aliases: ['remove'],
  description: 'Remove one or more networks',
  args: [{ name: 'network', required: true, variadic: true }],
  options: [{ flags: '-f, --force', description: 'Do not error if the network does not exist' }],
  examples: [
    { command: 'netctl network rm mynet' },
    { command: 'netctl network rm -f net1 net2', description: 'Remove both; a missing one is not an error' },
  ],
  handler: () => import('./network-rm.handler').then((m) => m.networkRmHandler),
});
