import { defineCommand } from '../../command';

export interface NetworkDisconnectOptions {
  force?: boolean;
}

export const networkDisconnect = defineCommand<NetworkDisconnectOptions>({
  path: ['network', 'disconnect'],
  description: 'Disconnect a container from a network',
  args: [
    { name: 'network', required: true },
    { name: 'container', required: true },
  ],
  options: [{ flags: '-f, --force', description: 'Force the container to disconnect from a network' }],
  examples: [{ command: 'netctl network disconnect mynet web' }],
  handler: () => import('./network-disconnect.handler').then((m) => m.networkDisconnectHandler),
});
