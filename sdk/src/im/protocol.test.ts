// The protocol schemas: what the hub accepts and refuses, and what it answers for refused frames.
import { describe, expect, it } from 'vitest';
import { Sealer } from '../seal/Sealer.js';
import { canonicalJson } from '../seal/canonicalJson.js';
import {
  MAX_CONTENT_LENGTH,
  MAX_FRAME_BYTES,
  MAX_SESSION_TOPICS,
  SessionLimitError,
  topicKey,
  commandSchema,
  commandTypes,
  decodeClientFrame,
  decodeHubFrame,
  deviceSession,
  encodePushFrame,
  hubFrameSchema,
  mutedTopicsOf,
  outcomeTypes,
  readCursorsOf,
  replyDataSchemas,
  serializeOutcome,
  topicStatusCodes,
  topicStatusFromCode,
  type Command,
  type Outcome,
} from './index.js';

const seal = 'ab'.repeat(32);
const commandFrame = (command: unknown) => JSON.stringify({ kind: 'command', sessionId: 's1', seq: 0, seal, command });

describe('commands', () => {
  it('accepts every command type with its fields and a trace id', () => {
    const samples: Command[] = [
      { type: 'SendMessage', traceId: 't1', stream: 'general', topic: 'hello', content: 'hi' },
      { type: 'SendMessage', traceId: 't1b', stream: 'general', topic: 'hello', content: 'hi', recipients: ['u2'] },
      { type: 'EditMessage', traceId: 't2', messageId: 'm1', content: 'hi!' },
      { type: 'DeleteMessage', traceId: 't3', messageId: 'm1' },
      { type: 'CreateStream', traceId: 't4', stream: 'general', groups: ['g1'] },
      { type: 'SetStreamGroups', traceId: 't5', stream: 'general', groups: ['g1', 'g2'] },
      { type: 'SetStreamAdmins', traceId: 't5a', stream: 'general', admins: ['u2'] },
      { type: 'SetTopicStatus', traceId: 't6', stream: 'general', topic: 'hello', status: 'under_review' },
      { type: 'AppointReviewer', traceId: 't7', stream: 'general', reviewer: 'u2' },
      { type: 'DismissReviewer', traceId: 't8', stream: 'general', reviewer: 'u2' },
      { type: 'Vote', traceId: 't9', stream: 'general', topic: 'hello', vote: 'yes' },
      { type: 'CreateGroup', traceId: 't10', name: 'Core team', description: 'x' },
      { type: 'DismissGroup', traceId: 't11', groupId: 'g1' },
      { type: 'AddGroupMember', traceId: 't12', groupId: 'g1', userId: 'u2' },
      { type: 'DismissMember', traceId: 't13', groupId: 'g1', userId: 'u2' },
      { type: 'GetHistory', traceId: 't14', stream: 'general', topic: 'hello', before: 10, limit: 20 },
      { type: 'GetStreams', traceId: 't15' },
      { type: 'GetGroups', traceId: 't16' },
      { type: 'GetGroupMembers', traceId: 't17', groupId: 'g1' },
      { type: 'FindUser', traceId: 't18', username: 'alice' },
      { type: 'SearchUsers', traceId: 't18b', prefix: 'al', limit: 5 },
      { type: 'MarkRead', traceId: 't19', stream: 'general', topic: 'hello', upTo: 7 },
      { type: 'MuteTopic', traceId: 't20', stream: 'general', topic: 'hello' },
      { type: 'UnmuteTopic', traceId: 't21', stream: 'general', topic: 'hello' },
      { type: 'GetSessionState', traceId: 't22' },
      { type: 'SyncReadState', traceId: 't23', cursors: [{ stream: 'general', topic: 'hello', upTo: 7 }], mutes: [{ stream: 'general', topic: 'hello', muted: false }] },
      { type: 'GetReadState', traceId: 't24' },
      { type: 'Ext', traceId: 't25', ext: 'poll', name: 'create', payload: { question: 'Where?', options: ['a', 'b'] } },
      { type: 'ExtQuery', traceId: 't26', ext: 'poll', name: 'list', payload: { stream: 'general' } },
    ];
    expect(new Set(samples.map((c) => c.type))).toEqual(new Set(commandTypes));
    for (const sample of samples) expect(commandSchema.parse(sample)).toEqual(sample);
    expect(commandSchema.safeParse({ type: 'SendMessage', traceId: 'e', stream: 'a', topic: 'b', content: 'emoji 😀 ok' }).success).toBe(true);
  });

  it('refuses unknown fields, missing trace ids, bad names and oversized content', () => {
    const bad = [
      { type: 'Ext', traceId: 't', ext: 'Poll', name: 'create', payload: {} },
      { type: 'Ext', traceId: 't', ext: 'poll', name: 'has space', payload: {} },
      { type: 'ExtQuery', traceId: 't', ext: 'poll', name: 'list', payload: {}, extra: 1 },
      { type: 'SendMessage', traceId: 't', stream: 'a', topic: 'b', content: 'x', extra: 1 },
      { type: 'SendMessage', stream: 'a', topic: 'b', content: 'x' },
      { type: 'SendMessage', traceId: 'has space', stream: 'a', topic: 'b', content: 'x' },
      { type: 'SendMessage', traceId: 't', stream: ' padded', topic: 'b', content: 'x' },
      { type: 'SendMessage', traceId: 't', stream: 'a\u0001', topic: 'b', content: 'x' },
      { type: 'SendMessage', traceId: 't', stream: 'a', topic: 'b', content: '' },
      { type: 'SendMessage', traceId: 't', stream: 'a', topic: 'b', content: 'half \uD83D pair' },
      { type: 'SendMessage', traceId: 't', stream: 'a', topic: 'b', content: 'x'.repeat(MAX_CONTENT_LENGTH + 1) },
      { type: 'Vote', traceId: 't', stream: 'a', topic: 'b', vote: 1 },
      { type: 'SetTopicStatus', traceId: 't', stream: 'a', topic: 'b', status: 'done' },
      { type: 'CreateStream', traceId: 't', stream: 'a', groups: [] },
      { type: 'GetHistory', traceId: 't', stream: 'a', limit: 10_000 },
      { type: 'Launch', traceId: 't' },
    ];
    for (const sample of bad) expect(commandSchema.safeParse(sample).success, JSON.stringify(sample).slice(0, 80)).toBe(false);
  });

  it('has a reply data schema for every command type', () => {
    expect(Object.keys(replyDataSchemas).sort()).toEqual([...commandTypes].sort());
  });
});

describe('decodeClientFrame', () => {
  it('answers a schema error with the trace id and the failing path', () => {
    const result = decodeClientFrame(commandFrame({ type: 'SendMessage', traceId: 'x-1', stream: 'a', topic: 'b', content: 5 }));
    expect(result).toMatchObject({ ok: false, traceId: 'x-1', error: { code: 'bad_schema', path: ['command', 'content'] } });
  });

  it('closes with 1007 when no trace id can be read, and 1009 when the frame is too large', () => {
    expect(decodeClientFrame('{not json')).toMatchObject({ ok: false, closeCode: 1007, error: { code: 'bad_frame' } });
    expect(decodeClientFrame('[1,2]')).toMatchObject({ ok: false, closeCode: 1007 });
    expect(decodeClientFrame(JSON.stringify({ kind: 'ack', outcomeId: -1 }))).toMatchObject({ ok: false, closeCode: 1007 });
    expect(decodeClientFrame(commandFrame({ type: 'SendMessage' }))).toMatchObject({ ok: false, closeCode: 1007 });
    const big = commandFrame({ type: 'SendMessage', traceId: 't', stream: 'a', topic: 'b', content: 'é'.repeat(MAX_FRAME_BYTES / 2) });
    expect(decodeClientFrame(big)).toMatchObject({ ok: false, closeCode: 1009, error: { code: 'payload_too_large' } });
  });

  it('reads acks written in any form the same way, and refuses malformed ones', () => {
    for (const text of ['{"kind":"ack","outcomeId":42}', '{ "outcomeId": 42, "kind": "ack" }', '{"kind":"ack","outcomeId":42.0}']) {
      expect(decodeClientFrame(text)).toEqual({ ok: true, frame: { kind: 'ack', outcomeId: 42 } });
    }
    expect(decodeClientFrame('{"kind":"ack","outcomeId":0}')).toEqual({ ok: true, frame: { kind: 'ack', outcomeId: 0 } });
    for (const text of ['{"kind":"ack","outcomeId":042}', '{"kind":"ack","outcomeId":1e3x}', '{"kind":"ack","outcomeId":-1}', '{"kind":"ack","outcomeId":1,"x":1}']) {
      expect(decodeClientFrame(text)).toMatchObject({ ok: false });
    }
    expect(decodeClientFrame(`{"kind":"ack","outcomeId":${'9'.repeat(20)}}`)).toMatchObject({ ok: false });
  });

  it('reads pings written in any form the same way, and refuses malformed ones', () => {
    const t = 1796667938829;
    for (const text of [`{"kind":"ping","t":${t}}`, `{ "t": ${t}, "kind": "ping" }`, `{"kind":"ping","t":${t}.0}`]) {
      expect(decodeClientFrame(text)).toEqual({ ok: true, frame: { kind: 'ping', t } });
    }
    for (const text of ['{"kind":"ping"}', '{ "kind": "ping" }']) expect(decodeClientFrame(text)).toEqual({ ok: true, frame: { kind: 'ping' } });
    expect(decodeClientFrame('{"kind":"ping","t":-5}')).toEqual({ ok: true, frame: { kind: 'ping', t: -5 } });
    for (const text of ['{"kind":"ping","t":"5"}', '{"kind":"ping","t":5,"x":1}', '{"kind":"ping","t":5x}']) {
      expect(decodeClientFrame(text), text).toMatchObject({ ok: false, closeCode: 1007 });
    }
  });

  it('accepts hello, command, ack, chain and ping frames', () => {
    const command = { type: 'GetStreams', traceId: 't' };
    for (const frame of [
      { kind: 'hello', protocol: 1, lastOutcomeId: 0 },
      { kind: 'hello', protocol: 1, sessionId: 's1', chainLength: 4, lastOutcomeId: 17 },
      { kind: 'command', sessionId: 's1', seq: 3, seal, command },
      { kind: 'ack', outcomeId: 17 },
      { kind: 'chain', recallId: 'r1', sessionId: 's1', entries: [{ seq: 0, body: command, seal }], done: true },
      { kind: 'ping', t: 1 },
    ]) {
      expect(decodeClientFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
    }
  });
});

describe('push frames', () => {
  it('splice one serialized outcome into each recipient frame and decode back', () => {
    const outcome: Outcome = { type: 'VoteUpdated', stream: 's', topic: 't', votes: { u1: 'yes', u2: 'no' } };
    const json = serializeOutcome(outcome);
    for (const outcomeId of [1, 42]) {
      expect(decodeHubFrame(encodePushFrame(outcomeId, json))).toEqual({ ok: true, frame: { kind: 'push', outcomeId, outcome } });
    }
  });

  it('names every outcome type of the issue', () => {
    for (const type of [
      'NewMessage', 'MessageEdited', 'MessageDeleted', 'StreamCreated', 'StreamGroupsChanged', 'TopicStatusChanged',
      'NewReviewer', 'ReviewerDismissed', 'VoteUpdated', 'NewGroup', 'GroupDissolved', 'NewMember', 'MemberDismissed',
      'ReviewConcluded', 'TimeOut',
    ]) expect(outcomeTypes).toContain(type);
  });

  it('decodes a typed Err reply and a resync', () => {
    const err = { kind: 'reply', traceId: 't', ok: false, error: { code: 'forbidden', message: 'not a member of g1' } };
    expect(hubFrameSchema.parse(err)).toEqual(err);
    expect(hubFrameSchema.safeParse({ ...err, error: { code: 'oops', message: '' } }).success).toBe(false);
    const resync = { kind: 'resync', reason: 'beyond_retention', lastOutcomeId: 900 };
    expect(hubFrameSchema.parse(resync)).toEqual(resync);
  });
});

describe('deviceSession', () => {
  it('keeps read cursors monotonic and mutes as a set, ignoring other commands', () => {
    const commands: Command[] = [
      { type: 'MarkRead', traceId: 'a', stream: 's', topic: 't', upTo: 5 },
      { type: 'MarkRead', traceId: 'b', stream: 's', topic: 't', upTo: 3 },
      { type: 'MuteTopic', traceId: 'c', stream: 's', topic: 'u' },
      { type: 'MuteTopic', traceId: 'd', stream: 's', topic: 'v' },
      { type: 'UnmuteTopic', traceId: 'e', stream: 's', topic: 'v' },
      { type: 'SendMessage', traceId: 'f', stream: 's', topic: 't', content: 'x' },
    ];
    const state = commands.reduce(deviceSession.apply, deviceSession.initial());
    expect(readCursorsOf(state)).toEqual([{ stream: 's', topic: 't', upTo: 5 }]);
    expect(mutedTopicsOf(state)).toEqual([{ stream: 's', topic: 'u' }]);
  });

  it('folds a long chain in linear time: 10,000 read cursors in well under a second', () => {
    const started = performance.now();
    let state = deviceSession.initial();
    for (let i = 0; i < MAX_SESSION_TOPICS; i++) state = deviceSession.apply(state, { type: 'MarkRead', traceId: `m${i}`, stream: 's', topic: `t${i}`, upTo: i });
    const ms = performance.now() - started;
    expect(state.cursors.size).toBe(MAX_SESSION_TOPICS);
    // Copying the cursor map per MarkRead (the old fold) took seconds here: 50 million entry copies.
    expect(ms).toBeLessThan(1000);
  });

  it('refuses a cursor or mute beyond MAX_SESSION_TOPICS with SessionLimitError, changing nothing', () => {
    let state = deviceSession.initial();
    for (let i = 0; i < MAX_SESSION_TOPICS; i++) state = deviceSession.apply(state, { type: 'MarkRead', traceId: `m${i}`, stream: 's', topic: `t${i}`, upTo: 1 });
    expect(() => deviceSession.apply(state, { type: 'MarkRead', traceId: 'x', stream: 's', topic: 'one more', upTo: 1 })).toThrow(SessionLimitError);
    expect(state.cursors.size).toBe(MAX_SESSION_TOPICS);
    // An existing cursor still moves.
    deviceSession.apply(state, { type: 'MarkRead', traceId: 'y', stream: 's', topic: 't0', upTo: 9 });
    expect(state.cursors.get(topicKey('s', 't0'))).toBe(9);
  });

  it('replays a refused (invalid) session update as a no-op, as the live session did', () => {
    const state = deviceSession.initial();
    const invalid = { type: 'MarkRead', traceId: 'x', stream: 's', topic: 't', upTo: -1, extra: true } as unknown as Command;
    expect(readCursorsOf(deviceSession.apply(state, invalid))).toEqual([]);
    expect(deviceSession.apply(state, null as unknown as Command)).toBe(state);
  });

  it('maps topic statuses to the seed codes and back', () => {
    for (const [status, code] of Object.entries(topicStatusCodes)) expect(topicStatusFromCode(code)).toBe(status);
    expect(() => topicStatusFromCode(2)).toThrow(RangeError);
  });
});

describe('docs/PROTOCOL.md test vectors', () => {
  it('seal the documented commands to the documented seals', () => {
    const sealer = new Sealer({ key: '07'.repeat(32) });
    const first: Command = { type: 'GetStreams', traceId: 't-1' };
    const second: Command = { type: 'SendMessage', traceId: 't-2', stream: 'general', topic: 'hello', content: 'Grüße 👋' };
    expect(canonicalJson(first)).toBe('{"traceId":"t-1","type":"GetStreams"}');
    expect(canonicalJson(second)).toBe('{"content":"Grüße 👋","stream":"general","topic":"hello","traceId":"t-2","type":"SendMessage"}');
    expect(sealer.seal(first).seal).toBe('c667ad458d6c701600d0f74040a98f67e9e1eca29318f766427ddd9e372b9092');
    expect(sealer.seal(second).seal).toBe('b81f647f7784ad65d49b3a08fcec34af7a719b694619a90fcabe679b3ea55a64');
  });
});
