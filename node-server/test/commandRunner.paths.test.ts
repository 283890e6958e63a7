// The CommandRunner's three paths end to end, with the answers a client acts on: session updates (MarkRead, …)
// commit the user's state with its outcomes and then publish them, answer a refusal with its code and path, a
// deadline with Err timeout and a store outage with Err unavailable, and record nothing (a resend runs again);
// reads answer their Err the same way; a domain command's transient Err is not recorded, and one that cannot be
// recorded is still answered. Also what an operator sees: `pending`, the latency histograms, the closed runner.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineExtension, type Command } from '@stage/sdk/im';
import { commandHandlers, CommandError } from '../src/commands/index.js';
import type { CommandHandlers } from '../src/commands/CommandContext.js';
import { defineHubExtension } from '../src/extensions/defineHubExtension.js';
import { ExtensionRegistry } from '../src/extensions/ExtensionRegistry.js';
import { StoreUnavailableError, type Store } from '../src/store/Store.js';
import { RecordingFanout, startRunner, type RunnerHarnessOptions } from './support/runnerHarness.js';

interface Options extends RunnerHarnessOptions {
  /** While set, every transaction of the store fails with it (the plain store still serves reads). */
  failing?: { error: unknown; onlyTransaction?: boolean };
}

function setup(options: Options = {}) {
  const failing = options.failing;
  return startRunner({
    ...options,
    wrapStore: (base) => {
      const store: Store = Object.create(base) as Store;
      store.transaction = (work, txOptions) => (failing?.error ? Promise.reject(failing.error) : base.transaction(work, txOptions));
      store.startTransaction = (work, txOptions) =>
        failing?.error && !failing.onlyTransaction ? { ordered: Promise.resolve(), committed: Promise.reject(failing.error) } : base.startTransaction(work, txOptions);
      return store;
    },
  });
}

const markRead = (traceId: string): Command => ({ type: 'MarkRead', traceId, stream: 'general', topic: 'hello', upTo: 3 });
const readData = { cursor: { stream: 'general', topic: 'hello', upTo: 3 }, unread: 0 };

describe('CommandRunner session updates', () => {
  it('commits the pushes with the change and publishes them after: each recipient once, pushes without recipients dropped', async () => {
    const handlers: Partial<CommandHandlers> = {
      MarkRead: async () => ({
        data: readData,
        pushes: [
          { outcome: { type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 3 }, recipients: ['u1', 'u1'] },
          { outcome: { type: 'TopicRead', stream: 'general', topic: 'other', upTo: 1 }, recipients: [] },
        ],
      }),
    };
    const { base, run, fanout, stop } = await setup({ handlers });
    const reply = await run(markRead('m1'));
    expect(reply).toEqual({ kind: 'reply', traceId: 'm1', ok: true, type: 'MarkRead', data: readData });
    const stored = await base.outcomes.outcomesAfter('u1', 0, 10);
    expect(stored.map((o) => o.body)).toEqual([{ type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 3 }]);
    expect(fanout.published).toEqual([[{ userId: 'u1', outcomeId: stored[0]!.id, outcome: { type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 3 } }]]);
    // nothing recorded: a session update sent again runs again
    expect(await base.replies.findReply('u1', 'm1')).toBeUndefined();
    await stop();
  });

  it('publishes nothing for a session update that changed nothing', async () => {
    const handlers: Partial<CommandHandlers> = { MarkRead: async () => ({ data: readData, pushes: [] }) };
    const { run, fanout, stop } = await setup({ handlers });
    expect(await run(markRead('m2'))).toMatchObject({ ok: true, type: 'MarkRead' });
    expect(fanout.published).toEqual([]);
    await stop();
  });

  it('answers a refused session update with its code and path, and runs a resend again', async () => {
    let calls = 0;
    const handlers: Partial<CommandHandlers> = {
      MarkRead: async () => {
        calls++;
        throw new CommandError('not_found', 'no stream general', ['command', 'stream']);
      },
    };
    const { run, fanout, stop } = await setup({ handlers });
    const expected = { kind: 'reply', traceId: 'm3', ok: false, error: { code: 'not_found', message: 'no stream general', path: ['command', 'stream'] } };
    expect(await run(markRead('m3'))).toEqual(expected);
    expect(await run(markRead('m3'))).toEqual(expected);
    expect(calls).toBe(2);
    expect(fanout.published).toEqual([]);
    await stop();
  });

  it('answers a session update that overruns its deadline Err timeout, naming it', async () => {
    const handlers: Partial<CommandHandlers> = {
      MarkRead: async (command, ctx, tx) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return commandHandlers.MarkRead(command, ctx, tx); // its next statement is refused: rolled back
      },
    };
    const { run, fanout, stop } = await setup({ handlers, deadlineMs: 30 });
    expect(await run(markRead('m4'))).toEqual({
      kind: 'reply',
      traceId: 'm4',
      ok: false,
      error: { code: 'timeout', message: 'MarkRead did not finish within 30 ms; resend it' },
    });
    expect(fanout.published).toEqual([]);
    await stop();
  });

  it('answers a session update Err unavailable while the store is down, with a retry-after', async () => {
    const failing = { error: new StoreUnavailableError('connection refused', 'unreachable') as unknown };
    const { run, stop } = await setup({ failing });
    expect(await run(markRead('m5'))).toMatchObject({ ok: false, error: { code: 'unavailable', retryAfterMs: expect.any(Number) as number } });
    failing.error = undefined;
    await stop();
  });

  it('redelivers a session update whose handler crashed', async () => {
    let calls = 0;
    const handlers: Partial<CommandHandlers> = {
      MarkRead: async () => {
        if (++calls === 1) throw new TypeError('a handler bug');
        return { data: readData, pushes: [] };
      },
    };
    const { run, stop } = await setup({ handlers });
    expect(await run(markRead('m6'))).toMatchObject({ ok: true, type: 'MarkRead' });
    expect(calls).toBe(2);
    await stop();
  });
});

describe('CommandRunner reads and refusals', () => {
  it('answers a refused read with its code and path, and a read of an unavailable store Err unavailable', async () => {
    let down = false;
    const handlers: Partial<CommandHandlers> = {
      FindUser: async (command, ctx, tx) => {
        if (down) throw new StoreUnavailableError('connection refused', 'unreachable');
        if (command.username === 'bad') throw new CommandError('bad_schema', 'not a username', ['command', 'username']);
        return commandHandlers.FindUser(command, ctx, tx);
      },
    };
    const { run, stop } = await setup({ handlers });
    expect(await run({ type: 'FindUser', traceId: 'f1', username: 'bad' })).toEqual({
      kind: 'reply',
      traceId: 'f1',
      ok: false,
      error: { code: 'bad_schema', message: 'not a username', path: ['command', 'username'] },
    });
    expect(await run({ type: 'FindUser', traceId: 'f2', username: 'ann' })).toEqual({
      kind: 'reply',
      traceId: 'f2',
      ok: true,
      type: 'FindUser',
      data: expect.objectContaining({ user: expect.objectContaining({ userId: 'u1' }) }) as unknown,
    });
    down = true;
    expect(await run({ type: 'FindUser', traceId: 'f3', username: 'ann' })).toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: expect.stringContaining('cannot reach its storage') as unknown },
    });
    await stop();
  });

  it('answers an Err without a path without a path field', async () => {
    const handlers: Partial<CommandHandlers> = {
      CreateGroup: async () => {
        throw new CommandError('forbidden', 'not allowed');
      },
    };
    const { run, stop } = await setup({ handlers });
    const reply = await run({ type: 'CreateGroup', traceId: 'p1', name: 'team' });
    expect(reply).toEqual({ kind: 'reply', traceId: 'p1', ok: false, error: { code: 'forbidden', message: 'not allowed' } });
    expect(reply.ok === false && 'path' in reply.error).toBe(false);
    await stop();
  });

  it('does not record a transient Err: a resend runs the command again', async () => {
    let calls = 0;
    const handlers: Partial<CommandHandlers> = {
      CreateGroup: async (command, ctx, tx) => {
        if (++calls === 1) throw new CommandError('rate_limited', 'slow down');
        return commandHandlers.CreateGroup(command, ctx, tx);
      },
    };
    const { base, run, stop } = await setup({ handlers });
    expect(await run({ type: 'CreateGroup', traceId: 't1', name: 'team' })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(await base.replies.findReply('u1', 't1')).toBeUndefined();
    expect(await run({ type: 'CreateGroup', traceId: 't1', name: 'team' })).toMatchObject({ ok: true });
    expect(calls).toBe(2);
    await stop();
  });

  it('still answers a refused command whose Err cannot be recorded (the store went down meanwhile)', async () => {
    const failing: Options['failing'] = { error: new StoreUnavailableError('connection refused', 'unreachable'), onlyTransaction: true };
    const handlers: Partial<CommandHandlers> = {
      CreateGroup: async () => {
        throw new CommandError('not_found', 'refused');
      },
    };
    const { base, run, stop } = await setup({ handlers, failing });
    expect(await run({ type: 'CreateGroup', traceId: 'n1', name: 'team' })).toEqual({
      kind: 'reply',
      traceId: 'n1',
      ok: false,
      error: { code: 'not_found', message: 'refused' },
    });
    expect(await base.replies.findReply('u1', 'n1')).toBeUndefined();
    failing.error = undefined;
    await stop();
  });
});

const counter = defineHubExtension(
  defineExtension({
    name: 'counter',
    commands: {
      add: { kind: 'write', payload: z.strictObject({ by: z.number().int() }), result: z.object({ total: z.number() }) },
      total: { kind: 'query', payload: z.strictObject({}), result: z.object({ total: z.number() }) },
    },
    events: { changed: z.object({ total: z.number() }) },
  }),
  {
    async add({ by }, ctx) {
      const total = ((await ctx.records.get<number>('total')) ?? 0) + by;
      await ctx.records.put('total', total);
      await ctx.emit('changed', { total }, { users: [ctx.userId] });
      return { total };
    },
    async total(_payload, ctx) {
      return { total: (await ctx.records.get<number>('total')) ?? 0 };
    },
  },
);

describe('CommandRunner with the real handlers', () => {
  it('sends a message on a store without a one-statement postMessage (SQLite): the handler falls back to its steps', async () => {
    const { base, run, fanout, stop } = await setup();
    const created = await run({ type: 'CreateGroup', traceId: 'g1', name: 'team' });
    const groupId = created.ok ? (created.data as { group: { groupId: string } }).group.groupId : '';
    expect(await run({ type: 'CreateStream', traceId: 's1', stream: 'general', groups: [groupId] })).toMatchObject({ ok: true });
    const sent = await run({ type: 'SendMessage', traceId: 'm1', stream: 'general', topic: 'hello', content: 'hi' });
    expect(sent).toMatchObject({ ok: true, type: 'SendMessage', data: { message: { stream: 'general', topic: 'hello', content: 'hi', senderId: 'u1' } } });
    expect(await base.history({ stream: 'general', topic: 'hello', limit: 10, viewer: 'u1' })).toEqual([expect.objectContaining({ content: 'hi' })]);
    expect(fanout.published.flat().map((e) => e.outcome)).toContainEqual(expect.objectContaining({ type: 'NewMessage' }));
    await stop();
  });

  it('runs the commands of the hub’s extensions: a write commits its records and pushes its events, a query reads them', async () => {
    const { run, fanout, stop } = await setup({ extensions: new ExtensionRegistry([counter]) });
    expect(await run({ type: 'Ext', traceId: 'e1', ext: 'counter', name: 'add', payload: { by: 2 } })).toMatchObject({ ok: true, type: 'Ext', data: { result: { total: 2 } } });
    expect(await run({ type: 'ExtQuery', traceId: 'e2', ext: 'counter', name: 'total', payload: {} })).toMatchObject({ ok: true, type: 'ExtQuery', data: { result: { total: 2 } } });
    expect(fanout.published.flat().map((e) => e.outcome)).toEqual([expect.objectContaining({ type: 'ExtEvent', ext: 'counter', event: 'changed', data: { total: 2 } })]);
    await stop();
  });
});

describe('CommandRunner as an operator sees it', () => {
  it('counts queued and running jobs in pending', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const handlers: Partial<CommandHandlers> = {
      FindUser: async (command, ctx, tx) => {
        entered();
        await released;
        return commandHandlers.FindUser(command, ctx, tx);
      },
    };
    const { runner, run, stop } = await setup({ handlers });
    expect(runner.pending).toBe(0);
    const first = run({ type: 'FindUser', traceId: 'q1', username: 'ann' });
    await inside;
    const second = run({ type: 'FindUser', traceId: 'q2', username: 'ann' });
    const third = run({ type: 'FindUser', traceId: 'q3', username: 'ann' });
    expect(runner.pending).toBe(3); // one running, two queued
    release();
    await Promise.all([first, second, third]);
    expect(runner.pending).toBe(0);
    await stop();
  });

  it('observes every command’s latency, and the transaction time of each committed domain command', async () => {
    const { run, observed, stop } = await setup();
    const before = performance.now();
    await run({ type: 'CreateGroup', traceId: 'o1', name: 'team' });
    await run({ type: 'FindUser', traceId: 'o2', username: 'ann' });
    const elapsed = (performance.now() - before) / 1000;
    expect(observed.commandSeconds).toHaveLength(2);
    expect(observed.transactionSeconds).toHaveLength(1);
    for (const s of [...observed.commandSeconds, ...observed.transactionSeconds]) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(elapsed);
    }
    await stop();
  });

  it('queues any number of commands (no capacity bound: the connections bound them)', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handlers: Partial<CommandHandlers> = {
      FindUser: async (command, ctx, tx) => {
        await released;
        return commandHandlers.FindUser(command, ctx, tx);
      },
    };
    const { runner, run, stop } = await setup({ handlers });
    const replies = Array.from({ length: 1100 }, (_, i) => run({ type: 'FindUser', traceId: `b${i}`, username: 'ann' }));
    expect(runner.pending).toBe(1100);
    release();
    expect((await Promise.all(replies)).filter((r) => !r.ok)).toEqual([]);
    await stop();
  });

  it('logs a failed fan-out publish as a warning; the reply does not wait for it', async () => {
    const failing = new (class extends RecordingFanout {
      override async publish(): Promise<void> {
        throw new Error('transport down');
      }
    })();
    const lines: Array<Record<string, unknown>> = [];
    const handlers: Partial<CommandHandlers> = {
      MarkRead: async () => ({ data: readData, pushes: [{ outcome: { type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 3 }, recipients: ['u1'] }] }),
    };
    const { run, stop } = await setup({ fanout: failing, lines, handlers });
    expect(await run({ type: 'CreateGroup', traceId: 'w1', name: 'team' })).toMatchObject({ ok: true });
    expect(await run(markRead('w2'))).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Both paths (domain command, session update) warn, with the transport's error.
    const warned = expect.objectContaining({ level: 'warn', err: expect.objectContaining({ message: 'transport down' }) as unknown });
    expect(lines.filter((l) => l.msg === 'fan-out publish failed')).toEqual([warned, warned]);
    await stop();
  });

  it('answers a command sent after close Err unavailable, saying why, and lets the next command start', async () => {
    const { runner, run, stop } = await setup();
    runner.close();
    let ordered = 0;
    expect(await run({ type: 'CreateGroup', traceId: 'c1', name: 'late' }, () => ordered++)).toEqual({
      kind: 'reply',
      traceId: 'c1',
      ok: false,
      error: { code: 'unavailable', message: 'the hub is shutting down; resend later' },
    });
    expect(ordered).toBe(1);
    await stop();
  });
});
