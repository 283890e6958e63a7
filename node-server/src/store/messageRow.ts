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
