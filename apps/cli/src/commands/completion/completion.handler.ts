import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { COMMANDS, GROUPS } from '../index';
import { bashCompletion, commandTree, zshCompletion } from './completion-script';

export const completionHandler: Handler<Record<string, never>> = async ({ args }, { output, messages }) => {
  const tree = commandTree(GROUPS, COMMANDS);
  const shell = args[0];
  if (shell === 'bash') output.write(bashCompletion(tree));
  else if (shell === 'zsh') output.write(zshCompletion(tree));
  else throw new UsageError(messages.completion.unknownShell(shell));
};
