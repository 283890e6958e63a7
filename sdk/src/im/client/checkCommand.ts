// What the client refuses before a command is queued: fields the protocol's schema refuses (bad_schema with the
// failing path), extension commands of an extension not bound or a payload its schema refuses, a value that could
// never be sealed (not canonical JSON), and a frame over the hub's size limit (payload_too_large).
import { safeParse } from 'zod/mini';
import { canonicalJson } from '../../seal/canonicalJson.js';
import { commandSchema, type CommandArgs, type CommandOf, type CommandType } from '../protocol/commands.js';
import { ImError } from '../protocol/errors.js';
import { utf8ByteLength } from '../protocol/frames.js';
import { MAX_COMMAND_FRAME_BYTES } from '../protocol/limits.js';
import type { ExtensionCommandDef, ExtensionDef } from '../extension/defineExtension.js';
import { issueMessage } from './issueMessage.js';

/** The largest envelope a command frame gets around its command (session id ≤ 200 chars, seq, seal). */
const COMMAND_ENVELOPE_BYTES = utf8ByteLength(JSON.stringify({ kind: 'command', sessionId: 'x'.repeat(200), seq: Number.MAX_SAFE_INTEGER, seal: '0'.repeat(64), command: null }));

/** The command `type` with `args` under `traceId`, checked; or why it is refused. `extensions`: those bound, by name. */
export function checkCommand<T extends CommandType>(type: T, args: CommandArgs<T>, traceId: string, extensions: ReadonlyMap<string, ExtensionDef>): CommandOf<T> | ImError {
  const parsed = commandSchema.safeParse({ ...args, type, traceId }, { error: issueMessage });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)));
    return new ImError({ code: 'bad_schema', message: `${type}: ${path.join('.') || 'command'}: ${issue?.message ?? 'invalid'}`, path }, traceId);
  }
  const command = parsed.data as CommandOf<T>;
  const sent = parsed.data;
  if (sent.type === 'Ext' || sent.type === 'ExtQuery') {
    const problem = checkExtensionCommand(sent, extensions);
    if (problem) return new ImError(problem, traceId);
  }
  try {
    canonicalJson(command); // what the seal is computed over: refuse here what could never be sealed
  } catch (error) {
    return new ImError({ code: 'bad_schema', message: `${type}: ${(error as Error).message}` }, traceId);
  }
  const bytes = utf8ByteLength(JSON.stringify(command)) + COMMAND_ENVELOPE_BYTES;
  if (bytes > MAX_COMMAND_FRAME_BYTES) {
    return new ImError({ code: 'payload_too_large', message: `${type} would make a ${bytes}-byte frame; the limit is ${MAX_COMMAND_FRAME_BYTES}` }, traceId);
  }
  return command;
}

/** Why an extension command cannot be sent (unknown extension or command, wrong kind, payload refused), if so. */
function checkExtensionCommand(
  command: CommandOf<'Ext'> | CommandOf<'ExtQuery'>,
  extensions: ReadonlyMap<string, ExtensionDef>,
): { code: 'not_found' | 'bad_schema'; message: string; path?: Array<string | number> } | undefined {
  const def = extensions.get(command.ext);
  if (!def) return { code: 'not_found', message: `${command.type}: unknown extension "${command.ext}": bind its definition with client.extension(def) first`, path: ['ext'] };
  const member: ExtensionCommandDef | undefined = Object.hasOwn(def.commands, command.name) ? def.commands[command.name] : undefined;
  if (!member) return { code: 'not_found', message: `${command.type}: extension "${command.ext}" has no command "${command.name}"`, path: ['name'] };
  const kind = command.type === 'Ext' ? 'write' : 'query';
  if (member.kind !== kind) return { code: 'bad_schema', message: `${command.ext}.${command.name} is a ${member.kind}: send it as ${member.kind === 'write' ? 'Ext' : 'ExtQuery'}`, path: ['type'] };
  const payload = safeParse(member.payload, command.payload, { error: issueMessage });
  if (payload.success) return undefined;
  const issue = payload.error.issues[0];
  const path = ['payload', ...(issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)))];
  return { code: 'bad_schema', message: `${command.ext}.${command.name}: ${path.join('.')}: ${issue?.message ?? 'invalid'}`, path };
}
