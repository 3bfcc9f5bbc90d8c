import { defineCommand } from '../../command';

export interface NetworkCreateOptions {
  driver: string;
  subnet: string[];
  ipRange: string[];
  gateway: string[];
  auxAddress: string[];
  internal?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  configOnly?: boolean;
  ipv6?: boolean;
  scope?: string;
  label: string[];
  opt: string[];
  ipamDriver: string;
  ipamOpt: string[];
}

export const networkCreate = defineCommand<NetworkCreateOptions>({
  path: ['network', 'create'],
  description: 'Create a network',
  args: [{ name: 'network', required: true }],
  options: [
    { flags: '--attachable', description: 'Enable manual container attachment' },
    { flags: '--aux-address <name=ip>', description: 'Auxiliary IPv4 or IPv6 addresses used by Network driver', repeatable: true },
    { flags: '--config-only', description: 'Create a configuration only network' },
    { flags: '-d, --driver <string>', description: 'Driver to manage the Network', default: 'bridge' },
    { flags: '--gateway <ip>', description: 'IPv4 or IPv6 Gateway for the master subnet', repeatable: true },
    { flags: '--ingress', description: 'Create swarm routing-mesh network' },
    { flags: '--internal', description: 'Restrict external access to the network' },
    { flags: '--ip-range <cidr>', description: 'Allocate container ip from a sub-range', repeatable: true },
    { flags: '--ipam-driver <string>', description: 'IP Address Management Driver', default: 'default' },
    { flags: '--ipam-opt <key=value>', description: 'Set IPAM driver specific options', repeatable: true },
    { flags: '--ipv6', description: 'Enable or disable IPv6 networking' },
    { flags: '--label <key=value>', description: 'Set metadata on a network', repeatable: true },
    { flags: '-o, --opt <key=value>', description: 'Set driver specific options', repeatable: true },
    { flags: '--scope <string>', description: "Control the network's scope" },
    { flags: '--subnet <cidr>', description: 'Subnet in CIDR format that represents a network segment', repeatable: true },
  ],
  examples: [
    { command: 'netctl network create mynet' },
    {
      command: 'netctl network create --subnet 10.10.0.0/16 --ip-range 10.10.1.0/24 --gateway 10.10.0.254 --label env=dev mynet',
      description: 'A bridge network with a fixed subnet, gateway and allocation range',
    },
    { command: 'netctl network create --internal -o com.docker.network.driver.mtu=1400 backend' },
  ],
  handler: () => import('./network-create.handler').then((m) => m.networkCreateHandler),
});
