// What `client.extension(def)` builds: a typed function per command of the extension — the command sent through the
// client as Ext (a write) or ExtQuery (a query), its result checked against the extension's schema — and events$,
// the extension's pushed events parsed with their schemas.
import { filter, map, type Observable } from 'rxjs';
import { safeParse } from 'zod/mini';
import type { CommandArgs } from '../protocol/commands.js';
import { ImError } from '../protocol/errors.js';
import type { Outcome } from '../protocol/outcomes.js';
import type { ReplyData } from '../protocol/replies.js';
import type { CommandOptions } from '../client/CommandWindow.js';
import type { ExtensionDef } from './defineExtension.js';
import type { ExtensionClient } from './ExtensionClient.js';

/** Sends an extension command (ImClient.command for Ext and ExtQuery). */
type SendExtensionCommand = (type: 'Ext' | 'ExtQuery', args: CommandArgs<'Ext'>, options?: CommandOptions) => Promise<ReplyData<'Ext'>>;

export function bindExtension<D extends ExtensionDef>(def: D, send: SendExtensionCommand, outcomes$: Observable<{ readonly outcomeId: number; readonly outcome: Outcome }>): ExtensionClient<D> {
  const bound: Record<string, unknown> = { name: def.name };
  for (const [name, command] of Object.entries(def.commands)) {
    bound[name] = async (payload: unknown, options?: CommandOptions): Promise<unknown> => {
      const reply = await send(command.kind === 'write' ? 'Ext' : 'ExtQuery', { ext: def.name, name, payload }, options);
      const result = safeParse(command.result, reply.result);
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new ImError({ code: 'internal', message: `the hub's ${def.name}.${name} result does not match the extension's schema: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() }, options?.traceId);
      }
      return result.data;
    };
  }
  bound.events$ = outcomes$.pipe(
    map(({ outcomeId, outcome }) => {
      if (outcome.type !== 'ExtEvent' || outcome.ext !== def.name || !Object.hasOwn(def.events, outcome.event)) return undefined;
      const data = safeParse(def.events[outcome.event]!, outcome.data);
      return data.success ? { outcomeId, event: outcome.event, data: data.data } : undefined;
    }),
    filter((event) => event !== undefined),
  );
  return bound as ExtensionClient<D>;
}
