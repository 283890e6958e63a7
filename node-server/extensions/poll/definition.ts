// The poll extension's contract, shared by the hub module (./index.ts) and clients (the web demo binds it with
// client.extension(pollExtension)). It imports only zod and @stage/sdk/im, so a browser bundle can include it.
import { z } from 'zod';
import { defineExtension, streamNameSchema, topicNameSchema } from '@stage/sdk/im';

export const MAX_POLL_OPTIONS = 10;

const text = (max: number) => z.string().trim().min(1).max(max);

/** A poll as every member of its stream sees it: the options, each voter's choice (an index) and the counts. */
export const pollSchema = z.object({
  pollId: z.string().min(1).max(64),
  stream: streamNameSchema,
  topic: topicNameSchema,
  question: z.string().min(1).max(300),
  options: z.array(z.string().min(1).max(100)).min(2).max(MAX_POLL_OPTIONS),
  createdBy: z.string(),
  createdAt: z.number().int(),
  /** user id → index of the option they chose (a second vote replaces the first). */
  votes: z.record(z.string(), z.number().int().nonnegative()),
  /** Votes per option, in option order. */
  counts: z.array(z.number().int().nonnegative()),
});
export type Poll = z.infer<typeof pollSchema>;

export const pollExtension = defineExtension({
  name: 'poll',
  commands: {
    /** `/poll Question? | option | option`: a poll in a topic, pushed to everyone who sees the stream. */
    create: {
      kind: 'write',
      payload: z.strictObject({
        stream: streamNameSchema,
        topic: topicNameSchema,
        question: text(300),
        options: z.array(text(100)).min(2).max(MAX_POLL_OPTIONS),
      }),
      result: z.object({ poll: pollSchema }),
    },
    /** Your vote (an option index); voting again changes it. */
    vote: {
      kind: 'write',
      payload: z.strictObject({ stream: streamNameSchema, topic: topicNameSchema, pollId: z.string().min(1).max(64), option: z.number().int().nonnegative() }),
      result: z.object({ poll: pollSchema }),
    },
    /** The polls of a stream (or one topic of it), oldest first: what a client shows after a reload. */
    list: {
      kind: 'query',
      payload: z.strictObject({ stream: streamNameSchema, topic: z.optional(topicNameSchema) }),
      result: z.object({ polls: z.array(pollSchema) }),
    },
  },
  events: {
    /** A poll was created or its votes changed: the whole poll, to every user who sees its stream. */
    pollUpdated: z.object({ poll: pollSchema }),
  },
});

/**
 * Parses the text of a `/poll` command as typed in the composer: `/poll Lunch? | Pizza | Sushi`. Undefined when the
 * text is not a poll command; an error message when it is one but malformed.
 */
export function parsePollCommand(text: string): { question: string; options: string[] } | { error: string } | undefined {
  const match = /^\/poll(?:\s+(.*))?$/s.exec(text.trim());
  if (!match) return undefined;
  const parts = (match[1] ?? '').split('|').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length < 3) return { error: 'write /poll Question? | option | option (two options at least)' };
  if (parts.length - 1 > MAX_POLL_OPTIONS) return { error: `at most ${MAX_POLL_OPTIONS} options` };
  return { question: parts[0]!, options: parts.slice(1) };
}
