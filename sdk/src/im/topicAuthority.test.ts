// The topic-status rule shared by hub and clients: administrators set anything; others move an open topic
// between discussion and developing or put it under review, never set a verdict or leave a review/verdict.
import { describe, expect, it } from 'vitest';
import { administersStream, settableTopicStatuses, topicStatusRefusal } from './topicAuthority.js';

describe('topic authority', () => {
  it('an administrator is the creator or a named admin, nobody else', () => {
    expect(administersStream('ann', { creatorId: 'ann' })).toBe(true);
    expect(administersStream('bob', { creatorId: 'ann', admins: ['bob'] })).toBe(true);
    expect(administersStream('cid', { creatorId: 'ann', admins: ['bob'] })).toBe(false);
    expect(administersStream('cid', { creatorId: 'ann' })).toBe(false);
  });

  it('a non-administrator may not set a verdict, nor change a topic under review or concluded', () => {
    expect(topicStatusRefusal(undefined, 'complete', false)).toMatch(/complete/);
    expect(topicStatusRefusal('developing', 'reject', false)).toMatch(/reject/);
    for (const current of ['under_review', 'reject', 'complete'] as const) {
      expect(topicStatusRefusal(current, 'discussion', false)).toMatch(/under review or concluded/);
    }
    expect(topicStatusRefusal('discussion', 'under_review', false)).toBeUndefined();
    expect(topicStatusRefusal('developing', 'discussion', false)).toBeUndefined();
  });

  it('lists what each may set now: the current status is never offered', () => {
    expect(settableTopicStatuses(undefined, false)).toEqual(['under_review', 'developing']);
    expect(settableTopicStatuses('developing', false)).toEqual(['under_review', 'discussion']);
    expect(settableTopicStatuses('under_review', false)).toEqual([]);
    expect(settableTopicStatuses('complete', false)).toEqual([]);
    expect(settableTopicStatuses('under_review', true)).toEqual(['reject', 'complete', 'developing', 'discussion']);
    expect(settableTopicStatuses(undefined, true)).toEqual(['reject', 'complete', 'under_review', 'developing']);
  });
});
