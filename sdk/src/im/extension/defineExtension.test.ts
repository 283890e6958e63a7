// An extension's schemas may be written with classic zod or with zod/mini: the client checks a payload with either
// before anything is queued, and the payload and result types are the same whichever flavour declared them.
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import * as zm from 'zod/mini';
import { ImClient } from '../client/ImClient.js';
import { ImError } from '../protocol/errors.js';
import { streamNameSchema } from '../protocol/model.js';
import { FakeHub } from '../../testing/FakeHub.js';
import { defineExtension, type ExtensionPayload, type ExtensionResult } from './defineExtension.js';

const classicPoll = defineExtension({
  name: 'poll',
  commands: {
    create: {
      kind: 'write',
      payload: z.strictObject({ stream: streamNameSchema, question: z.string().min(1), options: z.array(z.string()).min(2) }),
      result: z.object({ pollId: z.string() }),
    },
  },
  events: { pollUpdated: z.object({ pollId: z.string() }) },
});

const miniPoll = defineExtension({
  name: 'poll',
  commands: {
    create: {
      kind: 'write',
      payload: zm.strictObject({ stream: streamNameSchema, question: zm.string().check(zm.minLength(1)), options: zm.array(zm.string()).check(zm.minLength(2)) }),
      result: zm.object({ pollId: zm.string() }),
    },
  },
  events: { pollUpdated: zm.object({ pollId: zm.string() }) },
});

const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function openClient(): Promise<ImClient> {
  const hub = new FakeHub();
  const client = await ImClient.open({ url: 'http://hub.test', deviceId: 'laptop', token: 'tok', WebSocket: hub.WebSocket, autoSync: false });
  clients.push(client);
  return client;
}

describe('defineExtension with classic zod or zod/mini schemas', () => {
  it('types the payload and the result the same way for both flavours', () => {
    type ClassicCommands = typeof classicPoll.commands;
    type MiniCommands = typeof miniPoll.commands;
    expectTypeOf<ExtensionPayload<ClassicCommands, 'create'>>().toEqualTypeOf<ExtensionPayload<MiniCommands, 'create'>>();
    expectTypeOf<ExtensionResult<ClassicCommands, 'create'>>().toEqualTypeOf<{ pollId: string }>();
    expectTypeOf<ExtensionResult<MiniCommands, 'create'>>().toEqualTypeOf<{ pollId: string }>();
  });

  for (const [flavour, definition] of [
    ['classic zod', classicPoll],
    ['zod/mini', miniPoll],
  ] as const) {
    it(`refuses a payload its ${flavour} schema refuses before queueing it, naming the field`, async () => {
      const client = await openClient();
      const polls = client.extension(definition);
      const error = await polls.create({ stream: 'general', question: 'Where?', options: ['Pizza'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImError);
      expect(error).toMatchObject({ code: 'bad_schema', path: ['payload', 'options'] });
      expect((error as ImError).message).toBe('poll.create: payload.options: Too small: expected array to have >=2 items');
      expect(await firstValueFrom(client.pending$)).toEqual([]);
    });
  }
});
