import { defineCommand } from '../../command';

export interface NetworkInspectOptions {
  format?: string;
  verbose?: boolean;
}

export const networkInspect = defineCommand<NetworkInspectOptions>({
  path: ['network', 'inspect'],
  description: 'Display detailed information on one or more networks',
  args: [{ name: 'network', required: true, variadic: true }],
  options: [
    { flags: '-f, --format <string>', description: "Format output using a custom template: 'json' or a Go template" },
    { flags: '-v, --verbose', description: 'Verbose output for diagnostics' },
  ],
  examples: [
    { command: 'netctl network inspect bridge' },
    { command: "netctl network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' mynet", description: 'The subnets of mynet' },
    { command: "netctl network inspect -f '{{json .Containers}}' mynet" },
  ],
  handler: () => import('./network-inspect.handler').then((m) => m.networkInspectHandler),
});
