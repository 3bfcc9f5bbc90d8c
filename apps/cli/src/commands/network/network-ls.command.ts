import { defineCommand } from '../../command';

export interface NetworkLsOptions {
  filter: string[];
  quiet?: boolean;
  /** commander turns `--no-trunc` into `trunc: false`. */
  trunc: boolean;
  format?: string;
}

export const networkLs = defineCommand<NetworkLsOptions>({
  path: ['network', 'ls'],
  aliases: ['list'],
  description: 'List networks',
  args: [],
  options: [
    { flags: '-f, --filter <filter>', description: "Provide filter values (e.g. 'driver=bridge')", repeatable: true },
    { flags: '--format <string>', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
    { flags: '--no-trunc', description: 'Do not truncate the output' },
    { flags: '-q, --quiet', description: 'Only display network IDs' },
  ],
  examples: [
    { command: 'netctl network ls' },
    { command: 'netctl network ls -f driver=bridge -q', description: 'IDs of bridge networks' },
    { command: "netctl network ls --format 'table {{.Name}}\\t{{.Internal}}'" },
    { command: 'netctl network ls --format json' },
  ],
  handler: () => import('./network-ls.handler').then((m) => m.networkLsHandler),
});
