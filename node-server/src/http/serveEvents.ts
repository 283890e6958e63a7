// GET /sse/:token — a read-only Server-Sent Events mirror of a user's pushed outcomes (the seed's SSE path):
// `id: <outcomeId>`, `event: <outcome type>`, `data: <outcome JSON>`. Resumes after `Last-Event-ID` (or
// `?from=`), replaying from the store, then follows live outcomes; beyond retention it sends `event: resync`.
// It never acks and never affects delivery to the user's devices.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fanout, FanoutEntry } from '../fanout/Fanout.js';
import type { Logger } from '../hub/Logger.js';
import type { Store } from '../store/Store.js';

export interface EventsRequest {
  store: Store;
  fanout: Fanout;
  userId: string;
  req: IncomingMessage;
  res: ServerResponse;
  log: Logger;
}

const page = 256;

export async function serveEvents({ store, fanout, userId, req, res, log }: EventsRequest): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const fromHeader = req.headers['last-event-id'];
  const from = Number((typeof fromHeader === 'string' ? fromHeader : undefined) ?? url.searchParams.get('from') ?? NaN);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': stage outcomes\n\n');
  let cursor = Number.isInteger(from) && from >= 0 ? from : (await store.outcomeBounds(userId)).last;
  const write = (id: number, body: unknown): void => {
    cursor = id;
    const type = (body as { type?: unknown }).type;
    res.write(`id: ${id}\nevent: ${typeof type === 'string' ? type : 'outcome'}\ndata: ${JSON.stringify(body)}\n\n`);
  };

  // Live entries are buffered while the replay runs, then flushed past the cursor: no gap, no duplicate.
  let buffered: FanoutEntry[] | undefined = [];
  const flush = (entries: FanoutEntry[]): void => {
    for (const e of entries) if (e.userId === userId && e.outcomeId === cursor + 1) write(e.outcomeId, e.outcome);
  };
  let catchingUp: Promise<void> = Promise.resolve();
  const subscription = fanout.entries$.subscribe((entries) => {
    const mine = entries.filter((e) => e.userId === userId);
    if (mine.length === 0) return;
    if (buffered) buffered.push(...mine);
    else if (mine[0]!.outcomeId === cursor + 1) flush(mine);
    else catchingUp = catchingUp.then(replay); // a gap (out-of-order publish): read it from the store
  });
  const heartbeat = setInterval(() => res.write(': ping\n\n'), 25_000);
  heartbeat.unref();
  req.on('close', () => {
    subscription.unsubscribe();
    clearInterval(heartbeat);
  });

  async function replay(): Promise<void> {
    const bounds = await store.outcomeBounds(userId);
    const oldest = bounds.first === 0 ? bounds.last + 1 : bounds.first;
    if (cursor < oldest - 1 || cursor > bounds.last) {
      cursor = bounds.last;
      res.write(`event: resync\ndata: ${JSON.stringify({ lastOutcomeId: cursor })}\n\n`);
    }
    for (;;) {
      const rows = await store.outcomesAfter(userId, cursor, page);
      for (const o of rows) write(o.id, o.body);
      if (rows.length < page) return;
    }
  }

  try {
    await replay();
  } catch (err) {
    log.error('sse replay failed', { err, userId });
    res.end();
    return;
  }
  const pending = buffered;
  buffered = undefined;
  flush(pending.filter((e) => e.outcomeId > cursor).sort((a, b) => a.outcomeId - b.outcomeId));
}
