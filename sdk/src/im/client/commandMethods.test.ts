// The command methods come from the protocol's command table: every command but the extension ones has one, typed
// exactly as the hand-written methods were, and a call is the generic `command()` with the same arguments.
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { commandTypes, type CommandArgs } from '../protocol/commands.js';
import type { ReplyData } from '../protocol/replies.js';
import { FakeHub } from '../../testing/FakeHub.js';
import { ImClient, type CommandOptions } from './ImClient.js';

const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('ImClient command methods', () => {
  it('exist for every command in the table except Ext and ExtQuery, as non-enumerable prototype methods', () => {
    const names = commandTypes.filter((type) => type !== 'Ext' && type !== 'ExtQuery').map((type) => type[0]!.toLowerCase() + type.slice(1));
    expect(names).toContain('sendMessage');
    expect(names).toContain('getSessionState');
    for (const name of names) {
      const descriptor = Object.getOwnPropertyDescriptor(ImClient.prototype, name);
      expect(typeof descriptor?.value, name).toBe('function');
      expect(descriptor?.enumerable, name).toBe(false);
    }
    expect(Object.getOwnPropertyDescriptor(ImClient.prototype, 'ext')).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(ImClient.prototype, 'extQuery')).toBeUndefined();
  });

  it('keep each signature: (args, options?) with fields, (options?) without', () => {
    expectTypeOf<ImClient['sendMessage']>().toEqualTypeOf<(args: CommandArgs<'SendMessage'>, options?: CommandOptions) => Promise<ReplyData<'SendMessage'>>>();
    expectTypeOf<ImClient['markRead']>().toEqualTypeOf<(args: CommandArgs<'MarkRead'>, options?: CommandOptions) => Promise<ReplyData<'MarkRead'>>>();
    expectTypeOf<ImClient['getStreams']>().toEqualTypeOf<(options?: CommandOptions) => Promise<ReplyData<'GetStreams'>>>();
    expectTypeOf<ImClient['getReadState']>().toEqualTypeOf<(options?: CommandOptions) => Promise<ReplyData<'GetReadState'>>>();
    expectTypeOf<ImClient>().not.toHaveProperty('ext');
  });

  it('call command() with the args and options given (a field-less command takes options first)', async () => {
    const hub = new FakeHub();
    const client = await ImClient.open({ url: 'http://hub.test', deviceId: 'd1', token: 't', WebSocket: hub.WebSocket, autoSync: false, reconnect: { initialDelayMs: 1, jitter: 0 } });
    clients.push(client);
    client.connect();
    await client.createGroup({ name: 'team' }, { traceId: 'trace-create-group' });
    const streams = await client.getStreams({ traceId: 'trace-get-streams' });
    expect(streams.streams).toEqual([]);
    const sent = hub.received.flatMap((f) => (f.kind === 'command' ? [[f.command.type, f.command.traceId]] : []));
    expect(sent).toEqual([
      ['CreateGroup', 'trace-create-group'],
      ['GetStreams', 'trace-get-streams'],
    ]);
    const aborted = AbortSignal.abort(new Error('stop'));
    await expect(client.getGroups({ signal: aborted })).rejects.toThrow('stop');
  });
});
