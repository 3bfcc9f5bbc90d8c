import { defineCommand } from '../../command';

export interface InfoOptions {
  format?: string;
}

export const infoCommand = defineCommand<InfoOptions>({
  path: ['info'],
  description: 'Display system-wide information',
  args: [],
  options: [{ flags: '-f, --format <string>', description: "Format output using a custom template: 'json' or a Go template" }],
  examples: [{ command: 'netctl info' }, { command: "netctl info -f '{{.ServerVersion}}'" }],
  handler: () => import('./info.handler').then((m) => m.infoHandler),
});
