// Ext and ExtQuery: commands of the hub's extensions (src/extensions), handed to the registry in the context. A hub
// without extensions refuses them not_found, like a command naming a stream that does not exist.
import type { CommandHandler } from './CommandContext.js';
import { CommandError } from './CommandError.js';

export const ext: CommandHandler<'Ext'> = (command, ctx, tx) => {
  if (!ctx.extensions) throw new CommandError('not_found', `unknown extension "${command.ext}"; this hub runs none`, ['command', 'ext']);
  return ctx.extensions.run(command, ctx, tx);
};

export const extQuery: CommandHandler<'ExtQuery'> = (command, ctx, tx) => {
  if (!ctx.extensions) throw new CommandError('not_found', `unknown extension "${command.ext}"; this hub runs none`, ['command', 'ext']);
  return ctx.extensions.run(command, ctx, tx);
};
