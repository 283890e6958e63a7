// The poll extension, hub side: `/poll` in a topic creates a poll, members vote, and every change is pushed to the
// stream's audience as a `pollUpdated` event; `list` gives the polls back after a reload. State lives in the
// extension_records table, one record per poll, keyed so that a stream's (or a topic's) polls are one prefix.
// Load it with `stage-hub --extension node-server/dist/extensions/poll/index.js` (built by `npm run build`).
import { ExtensionError, defineHubExtension } from '@stage/node-server/extensions';
import { pollExtension, type Poll } from './definition.js';

export { pollExtension, parsePollCommand, pollSchema, type Poll } from './definition.js';

/** Record keys: JSON of [stream, topic] then the poll id, so `["general",` lists a stream and `["general","lunch"]` a topic. */
const topicPrefix = (stream: string, topic: string) => JSON.stringify([stream, topic]);
const streamPrefix = (stream: string) => `${JSON.stringify([stream]).slice(0, -1)},`;
const pollKey = (stream: string, topic: string, pollId: string) => `${topicPrefix(stream, topic)}${pollId}`;

/** The polls of one stream are listed at most this many at a time. */
const MAX_LISTED = 200;

function counted(poll: Omit<Poll, 'counts'>): Poll {
  const counts = poll.options.map(() => 0);
  for (const option of Object.values(poll.votes)) counts[option] = (counts[option] ?? 0) + 1;
  return { ...poll, counts };
}

export default defineHubExtension(pollExtension, {
  async create({ stream, topic, question, options }, ctx) {
    await ctx.requireVisibleStream(stream);
    const poll = counted({ pollId: ctx.newId(), stream, topic, question, options, createdBy: ctx.userId, createdAt: ctx.now, votes: {} });
    await ctx.records.put(pollKey(stream, topic, poll.pollId), poll);
    await ctx.emit('pollUpdated', { poll }, { stream });
    return { poll };
  },

  async vote({ stream, topic, pollId, option }, ctx) {
    await ctx.requireVisibleStream(stream);
    const key = pollKey(stream, topic, pollId);
    const stored = await ctx.records.get<Poll>(key);
    if (!stored) throw new ExtensionError('not_found', `poll "${pollId}" not found in ${stream} > ${topic}`, ['command', 'payload', 'pollId']);
    if (option >= stored.options.length) throw new ExtensionError('bad_schema', `option ${option} does not exist: the poll has ${stored.options.length}`, ['command', 'payload', 'option']);
    const poll = counted({ ...stored, votes: { ...stored.votes, [ctx.userId]: option } });
    await ctx.records.put(key, poll);
    await ctx.emit('pollUpdated', { poll }, { stream });
    return { poll };
  },

  async list({ stream, topic }, ctx) {
    await ctx.requireVisibleStream(stream);
    const records = await ctx.records.list(topic === undefined ? streamPrefix(stream) : topicPrefix(stream, topic), { limit: MAX_LISTED });
    const polls = records.map((record) => record.value as Poll).sort((a, b) => a.createdAt - b.createdAt || (a.pollId < b.pollId ? -1 : 1));
    return { polls };
  },
});
