// How both SQL stores read a message: the same columns and one mapping to MessageRecord, so SQLite and
// PostgreSQL cannot drift apart in what a message looks like.
import type { MessageRecord } from './Store.js';

export interface MessageRow {
  id: string;
  seq: number;
  stream: string;
  topic: string;
  sender_id: string;
  sender_name: string;
  content: string;
  created_at: number;
  edited_at: number | null;
  /** SQLite stores 0/1, PostgreSQL a boolean. */
  deleted: number | boolean;
}

export const messageSelect = 'SELECT m.*, u.username AS sender_name FROM messages m JOIN users u ON u.id = m.sender_id';

/**
 * A history page (`pageSql`: messageSelect … ORDER BY m.seq DESC LIMIT n) cut once its content passes `budget`
 * characters (HistoryQuery.maxContentChars). Newest first, a row stays while the rows before the one before it are
 * within the budget: the message that passes the budget and the one after it are kept, so a caller that fits
 * messages into the budget always finds one it left out (and says there are more), even when the newest alone
 * passes it. The running sum is taken over the limited page, and the content of the rows left out never reaches
 * JavaScript. Same SQL on SQLite and PostgreSQL; `budget` is the parameter's placeholder (`?` or `$n`).
 */
export function withinContentBudget(pageSql: string, budget: string): string {
  return `SELECT * FROM (SELECT p.*, COALESCE(SUM(length(p.content)) OVER (ORDER BY p.seq DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING), 0) AS chars_before
    FROM (${pageSql}) p) b WHERE b.chars_before <= ${budget} ORDER BY b.seq DESC`;
}

export const toMessage = (r: MessageRow): MessageRecord => ({
  id: r.id,
  seq: r.seq,
  stream: r.stream,
  topic: r.topic,
  senderId: r.sender_id,
  senderName: r.sender_name,
  content: r.content,
  createdAt: r.created_at,
  editedAt: r.edited_at,
  deleted: r.deleted === true || r.deleted === 1,
});
