// What every command handler receives and returns. A handler reads and writes through `tx` (a transaction for
// domain commands, the plain store for reads), decides the reply data, and lists the outcomes to push with their
// recipients (user ids). The runner assigns outcome ids, stores them with the reply in the same transaction,
// and only then publishes; handlers never talk to sockets.
import type { Command, CommandOf, CommandType, DeviceSessionState, Outcome, ReplyData } from '@stage/sdk/im';
import type { DomainStore } from '../store/Store.js';
import type { ExtensionRegistry } from '../extensions/ExtensionRegistry.js';

export interface CommandContext {
  userId: string;
  deviceId: string;
  /** The device's session state after the sealed entry of this command was applied. */
  session: DeviceSessionState;
  now: number;
  /** Fresh ids for groups and messages. */
  newId(): string;
  /** The hub's extensions (Ext / ExtQuery); absent: the hub runs none. */
  extensions?: ExtensionRegistry;
}

/** An outcome and the users it goes to (every device of each). */
export interface Push {
  outcome: Outcome;
  recipients: readonly string[];
}

export interface CommandResult<T extends CommandType> {
  data: ReplyData<T>;
  pushes: Push[];
}

export type CommandHandler<T extends CommandType> = (command: CommandOf<T>, ctx: CommandContext, tx: DomainStore) => Promise<CommandResult<T>>;

export type CommandHandlers = { [T in CommandType]: CommandHandler<T> };

/** Runs the handler of `command.type` with the right static type. */
export function dispatch(handlers: CommandHandlers, command: Command, ctx: CommandContext, tx: DomainStore): Promise<CommandResult<CommandType>> {
  const handler = handlers[command.type] as CommandHandler<CommandType>;
  return handler(command as CommandOf<CommandType>, ctx, tx);
}
