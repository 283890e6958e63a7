// Extension commands and outcomes: the open part of a closed protocol. A hub module (an extension) registers named
// commands; a client sends them as `Ext` (changes state: executed once per (user, traceId), its reply recorded,
// like every built-in domain command) or `ExtQuery` (a read: runs again on a resend), each naming the extension,
// the command and a JSON payload the extension's own schema checks on the hub. What the extension pushes arrives as
// an `ExtEvent` outcome, in the recipient's outcome log with its outcome id like every other outcome. The frames
// are sealed in the device's chain like any command: the generic shape is what the protocol fixes; the payload and
// result shapes are the extension's (see defineExtension in ../extension/).
import * as z from 'zod/mini';

/** An extension's name: lower-case, as a hub module registers it (`poll`). */
export const extensionNameSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(32), z.regex(/^[a-z][a-z0-9_-]*$/, 'a lower-case letter, then lower-case letters, digits, _ and - only'));
/** A command's or an event's name within its extension (`create`, `vote`, `pollUpdated`). */
export const extensionMemberNameSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a letter, then letters, digits, _ and - only'));

/**
 * The extension-defined part of a frame: any JSON value (checked by the extension's schema on the hub, bounded by
 * the frame size). The protocol does not look inside it.
 */
export const extensionPayloadSchema = z.unknown();

/** The fields of `Ext` and `ExtQuery` after `type` and `traceId`. */
export const extensionCommandShape = {
  /** The extension's registered name. Unknown on the hub: Err not_found (path command.ext). */
  ext: extensionNameSchema,
  /** The command within the extension. Unknown: Err not_found (path command.name). */
  name: extensionMemberNameSchema,
  /** The command's input, checked by the extension's schema: Err bad_schema with a path under command.payload. */
  payload: extensionPayloadSchema,
};

/** The reply data of `Ext` and `ExtQuery`: the extension's result for the command. */
export const extensionReplyDataSchema = z.object({ ext: extensionNameSchema, name: extensionMemberNameSchema, result: extensionPayloadSchema });
