// GET /sse (Authorization: Bearer) or /sse/:ticket — a read-only Server-Sent Events mirror of a user's pushed outcomes (the seed's SSE path):
// `id: <outcomeId>`, `event: <outcome type>`, `data: <outcome JSON>`. Resumes after `Last-Event-ID` (or
// `?from=`), replaying from the store, then follows live outcomes; beyond retention it sends `event: resync`.
// It never acks and never affects delivery to the user's devices. The replay waits for the reader (write()
// backpressure); live outcomes cannot wait, so a stream holding more than `maxBufferedBytes` unsent is ended (the
// reader resumes with Last-Event-ID and replays from the store).
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fanout } from '../fanout/Fanout.js';
import type { Logger } from '../hub/Logger.js';
import type { Store } from '../store/Store.js';

export interface EventsRequest {
  store: Store;
  fanout: Fanout;
  userId: string;
  req: IncomingMessage;
  res: ServerResponse;
  log: Logger;
  /** Unsent bytes over which the stream is ended. */
  maxBufferedBytes: number;
}

const page = 256;

export async function serveEvents({ store, fanout, userId, req, res, log, maxBufferedBytes }: EventsRequest): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const fromHeader = req.headers['last-event-id'];
  const from = Number((typeof fromHeader === 'string' ? fromHeader : undefined) ?? url.searchParams.get('from') ?? NaN);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': stage outcomes\n\n');
  let cursor = Number.isInteger(from) && from >= 0 ? from : (await store.outcomes.outcomeBounds(userId)).last;
  const write = (id: number, body: unknown): void => {
    cursor = id;
    const type = (body as { type?: unknown }).type;
    send(`id: ${id}\nevent: ${typeof type === 'string' ? type : 'outcome'}\ndata: ${JSON.stringify(body)}\n\n`);
  };
  /** Writes; false when the reader is behind (the replay then waits for 'drain'); ends a reader far behind. */
  let ended = false;
  const send = (text: string): boolean => {
    if (ended) return false;
    const ready = res.write(text);
    if (res.writableLength > maxBufferedBytes) {
      ended = true;
      log.info('sse reader too slow; stream ended', { userId, buffered: res.writableLength });
      res.destroy();
    }
    return ready;
  };

  // Live entries are written at once when they follow the cursor and the reader keeps up. Otherwise (a replay is
  // running, a gap, a reader behind) they are not kept: the store is read again from the cursor, waiting for the
  // reader, until nothing new is found. A slow reader costs its socket buffer, no queue: no gap, no duplicate.
  let replaying = false;
  let missed = false;
  const subscription = fanout.entries$.subscribe((entries) => {
    const mine = entries.filter((e) => e.userId === userId);
    if (mine.length === 0 || ended) return;
    if (!replaying && mine[0]!.outcomeId === cursor + 1 && !res.writableNeedDrain) {
      for (const e of mine) if (e.outcomeId === cursor + 1) write(e.outcomeId, e.outcome);
    } else void catchUp();
  });
  const heartbeat = setInterval(() => send(': ping\n\n'), 25_000);
  heartbeat.unref();
  req.on('close', () => {
    ended = true;
    subscription.unsubscribe();
    clearInterval(heartbeat);
  });

  async function replay(): Promise<void> {
    const bounds = await store.outcomes.outcomeBounds(userId);
    const oldest = bounds.first === 0 ? bounds.last + 1 : bounds.first;
    if (cursor < oldest - 1 || cursor > bounds.last) {
      cursor = bounds.last;
      send(`event: resync\ndata: ${JSON.stringify({ lastOutcomeId: cursor })}\n\n`);
    }
    for (;;) {
      if (ended) return;
      const rows = await store.outcomes.outcomesAfter(userId, cursor, page);
      for (const o of rows) {
        if (ended) return;
        write(o.id, o.body);
        if (res.writableNeedDrain) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      if (rows.length < page) return;
    }
  }

  async function catchUp(): Promise<void> {
    missed = true;
    if (replaying) return;
    replaying = true;
    try {
      while (missed && !ended) {
        missed = false;
        await replay();
      }
    } catch (err) {
      log.error('sse replay failed', { err, userId });
      ended = true;
      res.end();
    } finally {
      replaying = false;
    }
  }

  await catchUp();
}
