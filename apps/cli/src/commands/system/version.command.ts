import { defineCommand } from '../../command';

export interface VersionOptions {
  format?: string;
}

export const versionCommand = defineCommand<VersionOptions>({
  path: ['version'],
  description: 'Show the netctl and netd version information',
  args: [],
  options: [{ flags: '-f, --format <string>', description: "Format output using a custom template: 'json' or a Go template" }],
  examples: [{ command: 'netctl version' }, { command: "netctl version -f '{{.Server.Version}}'", description: 'Only the daemon version' }],
  handler: () => import('./version.handler').then((m) => m.versionHandler),
});
