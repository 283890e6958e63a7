import { describe, expect, it } from 'vitest';
import { encodePushFrame } from '@stage/sdk/im';
import { pushBody, pushFrame } from './pushFrame.js';

describe('pushFrame', () => {
  it('builds the same bytes as encodePushFrame, non-ASCII content included', () => {
    const outcome = { type: 'NewMessage', text: 'héllo — 你好 👋', n: 1 };
    const json = JSON.stringify(outcome);
    const body = pushBody(json);
    for (const id of [1, 42, 1_000_000]) {
      const frame = pushFrame(id, body);
      expect(frame.equals(Buffer.from(encodePushFrame(id, json)))).toBe(true);
      expect(JSON.parse(frame.toString('utf8'))).toEqual({ kind: 'push', outcomeId: id, outcome });
    }
  });
});
