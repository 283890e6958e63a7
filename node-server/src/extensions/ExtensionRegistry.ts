// The extensions a hub runs, by name, and how an `Ext` / `ExtQuery` command reaches one: the extension and its
// command are looked up (Err not_found, as for any unknown name), the kind checked (a write sent as a query is
// bad_schema), the payload parsed by the command's schema (bad_schema with a path under command.payload), the handler
// run with an ExtensionContext over the store, its result checked, and its events turned into ExtEvent pushes for
// the CommandRunner to append and publish like any outcome.
// Extension schemas may be classic zod or zod/mini: parse them with the functional safeParse, which takes either.
import { safeParse } from 'zod';
import { MAX_FRAME_BYTES, extensionMemberNameSchema, extensionNameSchema, type CommandOf, type ExtensionCommandDef, type Outcome } from '@stage/sdk/im';
import type { CommandContext, CommandResult, Push } from '../commands/CommandContext.js';
import { CommandError } from '../commands/CommandError.js';
import { requireVisibleStream } from '../commands/visibility.js';
import type { DomainStore } from '../store/Store.js';
import type { Audience, ExtensionContext } from './ExtensionContext.js';
import { extensionRecords } from './ExtensionRecords.js';
import { HUB_EXTENSION, type HubExtension } from './defineHubExtension.js';

type Handler = (payload: unknown, ctx: ExtensionContext) => Promise<unknown>;

/** Room a push frame needs around its outcome: an event whose frame would exceed MAX_FRAME_BYTES is refused. */
const PUSH_ENVELOPE_BYTES = 64;

export class ExtensionRegistry {
  readonly #extensions = new Map<string, HubExtension>();

  constructor(extensions: readonly HubExtension[] = []) {
    for (const extension of extensions) this.register(extension);
  }

  /** Adds an extension; throws TypeError on a malformed one or a name already taken. */
  register(extension: HubExtension): void {
    if (!isHubExtension(extension)) throw new TypeError('not a hub extension: export the result of defineHubExtension(def, handlers)');
    const name = extension.def.name;
    if (!extensionNameSchema.safeParse(name).success) throw new TypeError(`extension name "${String(name)}" is not valid: lower-case letters, digits, _ and -`);
    if (this.#extensions.has(name)) throw new TypeError(`two extensions named "${name}": each extension is loaded once`);
    this.#extensions.set(name, extension);
  }

  get names(): string[] {
    return [...this.#extensions.keys()].sort();
  }

  /** The command's kind, or undefined when the extension or the command does not exist. */
  kindOf(ext: string, name: string): 'write' | 'query' | undefined {
    return this.#command(ext, name)?.kind;
  }

  #command(ext: string, name: string): ExtensionCommandDef | undefined {
    const extension = this.#extensions.get(ext);
    return extension && Object.hasOwn(extension.def.commands, name) ? extension.def.commands[name] : undefined;
  }

  /** Runs an Ext (in the command's transaction) or ExtQuery (on the store) command. */
  async run<T extends 'Ext' | 'ExtQuery'>(sent: CommandOf<T>, ctx: CommandContext, tx: DomainStore): Promise<CommandResult<T>> {
    const command = sent as CommandOf<'Ext'> | CommandOf<'ExtQuery'>;
    const extension = this.#extensions.get(command.ext);
    if (!extension) throw new CommandError('not_found', `unknown extension "${command.ext}"; this hub runs ${this.names.join(', ') || 'none'}`, ['command', 'ext']);
    const definition = this.#command(command.ext, command.name);
    if (!definition) throw new CommandError('not_found', `extension "${command.ext}" has no command "${command.name}"`, ['command', 'name']);
    const kind = command.type === 'Ext' ? 'write' : 'query';
    if (definition.kind !== kind) {
      throw new CommandError('bad_schema', `${command.ext}.${command.name} is a ${definition.kind}: send it as ${definition.kind === 'write' ? 'Ext' : 'ExtQuery'}`, ['command', 'type']);
    }
    const payload = safeParse(definition.payload, command.payload);
    if (!payload.success) {
      const issue = payload.error.issues[0];
      const path = ['command', 'payload', ...(issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)))];
      throw new CommandError('bad_schema', `${command.ext}.${command.name}: ${path.slice(1).join('.')}: ${issue?.message ?? 'invalid'}`, path);
    }
    const pushes: Push[] = [];
    const context: ExtensionContext = {
      userId: ctx.userId,
      deviceId: ctx.deviceId,
      now: ctx.now,
      newId: ctx.newId,
      tx,
      records: extensionRecords(tx, command.ext, ctx.now, kind === 'write'),
      emit: async (event, data, to) => {
        if (kind !== 'write') throw new TypeError(`extension ${command.ext}: ${command.name} is a query and may not emit events`);
        const schema = Object.hasOwn(extension.def.events, event) ? extension.def.events[event] : undefined;
        if (!schema) throw new TypeError(`extension ${command.ext}: emits "${event}", which its definition does not declare`);
        const checked = safeParse(schema, data);
        if (!checked.success) throw new TypeError(`extension ${command.ext}: event "${event}" does not match its schema: ${checked.error.issues[0]?.message ?? ''}`);
        const outcome: Outcome = { type: 'ExtEvent', ext: command.ext, event, data: checked.data };
        const bytes = Buffer.byteLength(JSON.stringify(outcome));
        if (bytes + PUSH_ENVELOPE_BYTES > MAX_FRAME_BYTES) throw new CommandError('payload_too_large', `extension ${command.ext}: event "${event}" would make a ${bytes}-byte push; the limit is ${MAX_FRAME_BYTES - PUSH_ENVELOPE_BYTES}`);
        pushes.push({ outcome, recipients: await audienceOf(tx, to) });
      },
      requireVisibleStream: (stream, path = ['command', 'payload', 'stream']) => requireVisibleStream(tx, ctx.userId, stream).catch((e: unknown) => {
        throw e instanceof CommandError ? new CommandError(e.code, e.message, path) : e;
      }),
      fail: (code, message, path) => {
        throw new CommandError(code, message, path);
      },
    };
    const handler = (extension.handlers as Record<string, Handler>)[command.name]!;
    const value = await handler(payload.data, context);
    const result = safeParse(definition.result, value);
    // A result outside the extension's own schema is a bug in the extension, not in the request: fail the command.
    if (!result.success) throw new TypeError(`extension ${command.ext}: ${command.name} returned a result its schema refuses: ${result.error.issues[0]?.message ?? ''}`);
    return { data: { ext: command.ext, name: command.name, result: result.data }, pushes } as CommandResult<T>;
  }
}

async function audienceOf(tx: DomainStore, to: Audience): Promise<string[]> {
  if ('stream' in to) return tx.streamAudience(to.stream);
  return [...to.users];
}

function isHubExtension(value: unknown): value is HubExtension {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<HubExtension>;
  if (candidate.kind !== HUB_EXTENSION || typeof candidate.def !== 'object' || candidate.def === null || typeof candidate.handlers !== 'object') return false;
  const { commands, events } = candidate.def;
  if (typeof commands !== 'object' || commands === null || typeof events !== 'object' || events === null) return false;
  return Object.keys(commands).every(
    (name) => extensionMemberNameSchema.safeParse(name).success && typeof (candidate.handlers as Record<string, unknown>)[name] === 'function',
  );
}
