// SendMessage's store work: the stream's audience (which is also the visibility check), the narrowing, the insert.
// In one call where the store offers it (PostgreSQL: one statement that also takes the recipients' outcome ids),
// otherwise as two reads and a write (SQLite, where a statement costs no round trip).
import type { DomainStore, MessagePost, PostedMessage } from './Store.js';

export async function postMessage(store: DomainStore, post: MessagePost): Promise<PostedMessage | undefined> {
  if (store.postMessage) return store.postMessage(post);
  // The sender sees the stream exactly when a group of theirs does, i.e. when they are in its audience.
  const audience = await store.streamAudience(post.stream);
  if (!audience.includes(post.senderId)) return undefined;
  const { narrowTo, ...message } = post;
  let recipients = audience;
  if (narrowTo !== undefined) {
    const wanted = new Set([...narrowTo, post.senderId]);
    recipients = audience.filter((u) => wanted.has(u));
  }
  const record = await store.insertMessage({ ...message, ...(narrowTo !== undefined ? { recipients } : {}) });
  return { record, recipients };
}
