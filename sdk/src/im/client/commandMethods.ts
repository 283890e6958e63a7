// ImClient's one-method-per-command API (`sendMessage`, `markRead`, `getStreams`, …), made from the protocol's
// command table (protocol/commands.ts `commandSchemas`) instead of written out by hand: a command added to the
// table gets its typed method with nothing else to write. The type is a mapped type over the table, so each method
// keeps its exact signature; the implementation is one generic function per command installed on the prototype.
import { commandSchemas, type CommandArgs, type CommandType } from '../protocol/commands.js';
import type { ReplyData } from '../protocol/replies.js';
import type { CommandOptions } from './CommandWindow.js';

/** Commands with a method of their own; extension commands (Ext, ExtQuery) go through `client.extension(def)`. */
type MethodCommandType = Exclude<CommandType, 'Ext' | 'ExtQuery'>;

/**
 * One method per command, named after it (SendMessage → sendMessage): `(args, options?)`, or `(options?)` for a
 * command without fields (GetStreams). Each resolves with the command's reply data like `command(type, …)`.
 */
export type CommandMethods = {
  [T in keyof typeof commandSchemas as T extends MethodCommandType ? Uncapitalize<T> : never]: T extends MethodCommandType
    ? keyof CommandArgs<T> extends never
      ? (options?: CommandOptions) => Promise<ReplyData<T>>
      : (args: CommandArgs<T>, options?: CommandOptions) => Promise<ReplyData<T>>
    : never;
};

interface Commander {
  command<T extends CommandType>(type: T, args: CommandArgs<T>, options?: CommandOptions): Promise<ReplyData<T>>;
}

/** Defines every command method on `prototype` (non-enumerable, as class methods are), each calling `command()`. */
export function installCommandMethods(prototype: Commander): void {
  for (const type of Object.keys(commandSchemas) as CommandType[]) {
    if (type === 'Ext' || type === 'ExtQuery') continue;
    // Only `type` and `traceId` in the schema: the method takes no args (the same test as the type's `never`).
    const value =
      Object.keys(commandSchemas[type].shape).length > 2
        ? function (this: Commander, args: CommandArgs<typeof type>, options?: CommandOptions) {
            return this.command(type, args, options);
          }
        : function (this: Commander, options?: CommandOptions) {
            return this.command(type, {}, options);
          };
    // A command named like a member of ImClient (a `Refresh` beside refresh()) fails to compile: the merged
    // interface then extends CommandMethods incorrectly (TS2430), so it is never silently replaced here.
    Object.defineProperty(prototype, type[0]!.toLowerCase() + type.slice(1), { value, writable: true, configurable: true });
  }
}
