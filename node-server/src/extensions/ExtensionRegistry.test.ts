// The registry and the definitions on their own (an in-memory SQLite store, no hub): how an Ext / ExtQuery command
// reaches its handler, every refusal typed and changing nothing, and malformed extensions refused when loaded.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineExtension, deviceSession, type CommandOf } from '@stage/sdk/im';
import { CommandError } from '../commands/CommandError.js';
import type { CommandContext } from '../commands/CommandContext.js';
import { SqliteStore } from '../store/SqliteStore.js';
import { defineHubExtension } from './defineHubExtension.js';
import { ExtensionRegistry } from './ExtensionRegistry.js';

const counter = defineExtension({
  name: 'counter',
  commands: {
    add: { kind: 'write', payload: z.strictObject({ by: z.number().int().min(1).max(10) }), result: z.object({ total: z.number() }) },
    total: { kind: 'query', payload: z.strictObject({}), result: z.object({ total: z.number() }) },
    broken: { kind: 'write', payload: z.strictObject({}), result: z.object({ total: z.number() }) },
    sneaky: { kind: 'query', payload: z.strictObject({ what: z.enum(['emit', 'put']) }), result: z.object({}) },
    refuse: { kind: 'write', payload: z.strictObject({}), result: z.object({}) },
  },
  events: { changed: z.object({ total: z.number() }) },
});

const counterHub = defineHubExtension(counter, {
  async add({ by }, ctx) {
    const total = ((await ctx.records.get<number>('total')) ?? 0) + by;
    await ctx.records.put('total', total);
    await ctx.emit('changed', { total }, { users: [ctx.userId, 'watcher'] });
    return { total };
  },
  async total(_payload, ctx) {
    return { total: (await ctx.records.get<number>('total')) ?? 0 };
  },
  async broken() {
    return { total: 'many' } as unknown as { total: number };
  },
  async sneaky({ what }, ctx) {
    if (what === 'emit') await ctx.emit('changed', { total: 0 }, { users: [ctx.userId] });
    else await ctx.records.put('total', 0);
    return {};
  },
  async refuse(_payload, ctx) {
    await ctx.records.put('total', 1000);
    return ctx.fail('forbidden', 'never');
  },
});

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function setUp() {
  store = new SqliteStore({ file: ':memory:' });
  const registry = new ExtensionRegistry([counterHub]);
  const ctx: CommandContext = { userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), now: 1, newId: () => 'id', extensions: registry };
  const ext = (name: string, payload: unknown, ext = 'counter'): CommandOf<'Ext'> => ({ type: 'Ext', traceId: 't', ext, name, payload });
  const query = (name: string, payload: unknown): CommandOf<'ExtQuery'> => ({ type: 'ExtQuery', traceId: 't', ext: 'counter', name, payload });
  const s = store;
  const write = (command: CommandOf<'Ext'>) => s.transaction((tx) => registry.run(command, ctx, tx));
  const read = (command: CommandOf<'ExtQuery'>) => registry.run(command, ctx, s);
  return { registry, write, read, ext, query };
}

describe('ExtensionRegistry', () => {
  it("runs a write in the transaction, persisting its records and turning its events into ExtEvent pushes to the named users", async () => {
    const { write, read, ext, query } = setUp();
    const first = await write(ext('add', { by: 2 }));
    expect(first.data).toEqual({ ext: 'counter', name: 'add', result: { total: 2 } });
    expect(first.pushes).toEqual([{ outcome: { type: 'ExtEvent', ext: 'counter', event: 'changed', data: { total: 2 } }, recipients: ['u1', 'watcher'] }]);
    await write(ext('add', { by: 3 }));
    expect((await read(query('total', {}))).data.result).toEqual({ total: 5 });
  });

  it('refuses unknown extensions and commands not_found, the wrong kind and a bad payload bad_schema, each with its path', async () => {
    const { write, read, ext, query } = setUp();
    await expect(write(ext('add', { by: 1 }, 'weather'))).rejects.toMatchObject({ code: 'not_found', path: ['command', 'ext'] });
    await expect(write(ext('multiply', {}))).rejects.toMatchObject({ code: 'not_found', path: ['command', 'name'] });
    await expect(write(ext('total', {}))).rejects.toMatchObject({ code: 'bad_schema', path: ['command', 'type'] });
    await expect(read(query('add', { by: 1 }))).rejects.toMatchObject({ code: 'bad_schema', path: ['command', 'type'] });
    await expect(write(ext('add', { by: 11 }))).rejects.toMatchObject({ code: 'bad_schema', path: ['command', 'payload', 'by'] });
    await expect(write(ext('add', { by: 1, extra: true }))).rejects.toMatchObject({ code: 'bad_schema', path: ['command', 'payload'] });
    await expect(write(ext('add', 'not an object'))).rejects.toBeInstanceOf(CommandError);
    // `__proto__` and friends are not commands.
    await expect(write(ext('constructor', {}))).rejects.toMatchObject({ code: 'not_found' });
    expect((await read(query('total', {}))).data.result).toEqual({ total: 0 });
  });

  it("rolls back what a refused write stored, and fails a result outside the extension's schema as a bug", async () => {
    const { write, read, ext, query } = setUp();
    await expect(write(ext('refuse', {}))).rejects.toMatchObject({ code: 'forbidden' });
    expect((await read(query('total', {}))).data.result).toEqual({ total: 0 });
    const bug = write(ext('broken', {}));
    await expect(bug).rejects.toBeInstanceOf(TypeError);
    await expect(bug).rejects.not.toBeInstanceOf(CommandError);
  });

  it('lets a query neither emit nor write', async () => {
    const { read, query } = setUp();
    await expect(read(query('sneaky', { what: 'emit' }))).rejects.toThrow(/query and may not emit/);
    await expect(read(query('sneaky', { what: 'put' }))).rejects.toThrow(/only write commands change state/);
  });

  it('refuses malformed extensions and a second extension of one name when registered', () => {
    const registry = new ExtensionRegistry([counterHub]);
    expect(() => registry.register(counterHub)).toThrow(/two extensions named "counter"/);
    expect(() => registry.register({ kind: 'stage-hub-extension' } as never)).toThrow(/not a hub extension/);
    expect(() => registry.register({ ...counterHub, handlers: { add: counterHub.handlers.add } } as never)).toThrow(/not a hub extension/);
    expect(registry.names).toEqual(['counter']);
    expect(registry.kindOf('counter', 'total')).toBe('query');
    expect(registry.kindOf('counter', 'nope')).toBeUndefined();
  });
});

describe('defineExtension / defineHubExtension', () => {
  it('refuses invalid names and handlers that do not match the commands', () => {
    const command = { kind: 'write' as const, payload: z.object({}), result: z.object({}) };
    expect(() => defineExtension({ name: 'Poll', commands: {} })).toThrow(/name "Poll"/);
    expect(() => defineExtension({ name: 'poll', commands: { 'has space': command } })).toThrow(/command "has space"/);
    expect(() => defineExtension({ name: 'poll', commands: {}, events: { $bad: z.object({}) } })).toThrow(/event "\$bad"/);
    const def = defineExtension({ name: 'poll', commands: { create: command } });
    expect(() => defineHubExtension(def, {} as never)).toThrow(/no handler for command "create"/);
    expect(() => defineHubExtension(def, { create: async () => ({}), extra: async () => ({}) } as never)).toThrow(/handler "extra"/);
  });
});
