import { defineCommand } from '../../command';

export const completionCommand = defineCommand<Record<string, never>>({
  path: ['completion'],
  description: 'Output a shell completion script (bash or zsh)',
  args: [{ name: 'shell', required: true }],
  options: [],
  examples: [
    { command: 'source <(netctl completion bash)', description: 'Enable completion in the current bash' },
    { command: 'netctl completion zsh > "${fpath[1]}/_netctl"', description: 'Install for zsh' },
  ],
  local: true,
  handler: () => import('./completion.handler').then((m) => m.completionHandler),
});
