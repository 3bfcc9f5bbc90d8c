import { defineCommand } from '../../command';

export interface NetworkConnectOptions {
  ip?: string;
  ip6?: string;
  alias: string[];
  link: string[];
  linkLocalIp: string[];
  driverOpt: string[];
  gwPriority?: string;
}

export const networkConnect = defineCommand<NetworkConnectOptions>({
  path: ['network', 'connect'],
  description: 'Connect a container to a network',
  args: [
    { name: 'network', required: true },
    { name: 'container', required: true },
  ],
  options: [
    { flags: '--alias <alias>', description: 'Add network-scoped alias for the container', repeatable: true },
    { flags: '--driver-opt <opt>', description: 'driver options for the network', repeatable: true },
    { flags: '--gw-priority <int>', description: 'Highest gw-priority provides the default gateway' },
    { flags: '--ip <address>', description: 'IPv4 address (e.g., "172.30.100.104")' },
    { flags: '--ip6 <address>', description: 'IPv6 address (e.g., "2001:db8::33")' },
    { flags: '--link <container>', description: 'Add link to another container', repeatable: true },
    { flags: '--link-local-ip <address>', description: 'Add a link-local address for the container', repeatable: true },
  ],
  examples: [
    { command: 'netctl network connect mynet web' },
    { command: 'netctl network connect --ip 10.10.36.122 --alias db mynet web', description: 'A fixed address and an extra DNS name' },
  ],
  handler: () => import('./network-connect.handler').then((m) => m.networkConnectHandler),
});
