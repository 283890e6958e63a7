// The registry session (the seed's UserSessions): the one owner of uid → device → connection and of each
// device's delivery state. Everything reaches it as a message in its mailbox (Join, Disconnect, Outcome, Ack,
// TimeOut, Ping) and it handles them one at a time, so its maps need no locks. It decides what each
// device is sent: pushes in outcome-id order within an ack window, retransmits after a timeout, replay from the
// store on (re)connect, resync when the device is behind the retention window, and disconnects dead or stalled
// devices.
import { CloseCode, type Limits } from '@stage/sdk/im';
import { Mailbox, serveMailbox, type TaskFactory } from '@stage/sdk';
import type { FanoutEntry } from '../fanout/Fanout.js';
import type { OutcomeBounds, Store, StoredOutcome } from '../store/Store.js';
import { outcomeBoundsOf } from '../store/outcomeBoundsOf.js';
import { BackgroundReads } from './BackgroundReads.js';
import { JoinBounds } from './JoinBounds.js';
import type { DeviceWriter } from './DeviceWriter.js';
import type { Logger } from './Logger.js';
import { pushBody } from './pushFrame.js';
import { RecentOutcomes } from './RecentOutcomes.js';
import type { HubCounters } from './Metrics.js';

/** A device's connection as the registry knows it. */
export interface DeviceLink {
  userId: string;
  deviceId: string;
  /** Distinguishes a device's successive connections (a late Disconnect of the old one is ignored). */
  connectionId: number;
  writer: DeviceWriter;
  /**
   * When the device was last heard from (any frame, or a WebSocket pong), in ms of the registry's clock (Date.now
   * unless RegistryConfig.now says otherwise); the connection writes it. Read by the heartbeat, not sent as a
   * message: with 5,000 devices a message per pong was 1,000 registry messages a second for one number each.
   */
  readonly heard: { at: number };
}

export type RegistryMessage =
  | { type: 'Join'; link: DeviceLink; lastOutcomeId: number }
  | { type: 'Disconnect'; userId: string; deviceId: string; connectionId: number }
  | { type: 'Outcome'; entries: FanoutEntry[] }
  | { type: 'Ack'; userId: string; deviceId: string; connectionId: number; outcomeId: number }
  /** The retransmit sweep: every device whose oldest unacked outcome waited retransmitAfterMs gets the seed's TimeOut. */
  | { type: 'TimeOut' }
  | { type: 'Ping' }
  /** The newest outcome ids in the store (OutcomeReconciler): ids this hub never heard of are read and sent. */
  | { type: 'Refresh'; latest: ReadonlyMap<string, number> }
  /** A device's next id was still missing `gapGraceMs` after a later one arrived: read it from the store. */
  | { type: 'GapCheck'; userId: string; deviceId: string; connectionId: number; timer: ReturnType<typeof setTimeout> }
  /** A joining device's outcome bounds, read in the background (see BackgroundReads). */
  | { type: 'Joined'; userId: string; deviceId: string; connectionId: number; bounds: OutcomeBounds }
  /** A page of a device's outcomes after `after`, read in the background; `failed` when the read failed. */
  | { type: 'Replayed'; userId: string; deviceId: string; connectionId: number; after: number; page: StoredOutcome[]; failed?: unknown };

interface Unacked {
  id: number;
  /** The outcome's push body (see pushFrame), shared by every recipient; the frame is built when (re)sent. */
  body: Buffer;
  sentAt: number;
}

interface DeviceState {
  link: DeviceLink;
  /** Highest outcome id the device acked (cumulative). */
  acked: number;
  /** Highest outcome id sent on this connection. */
  sent: number;
  unacked: Unacked[];
  windowFullSince: number | undefined;
  /** Set while a later id arrived before the next one (see gapGraceMs). */
  gapCheck: ReturnType<typeof setTimeout> | undefined;
  /**
   * A store read for this device is under way (its bounds on join, or a replay page): nothing is sent to it until
   * the answer comes back as a message, so its pushes stay in id order.
   */
  reading: boolean;
}

interface UserState {
  devices: Map<string, DeviceState>;
  /** Newest outcome id known for the user. */
  latest: number;
  /**
   * Recently published outcomes (id → push body), so live pushes need no store read. The body is the one encoded
   * for the whole fan-out: a user's cache holds a reference, not a per-user copy of the frame.
   */
  recent: RecentOutcomes;
  /** The last Outcome message that touched the user (see outcome). */
  round: number;
}

export interface RegistryConfig {
  store: Store;
  limits: Limits;
  windowStallMs: number;
  log: Logger;
  counters: HubCounters;
  now?: () => number;
  /**
   * Reads joining devices' outcome bounds, many users per query; the hub shares one with its connections (each
   * welcome reads the user's newest id). Default: one of the registry's own over `store`.
   */
  joinBounds?: JoinBounds;
}

/** Live outcomes kept per user for direct sending; older ones are read back from the store. */
const recentPerUser = 512;
/** Outcomes read from the store per query when replaying. */
const replayPage = 256;
/**
 * How long a device's next outcome may be missing, once a later one arrived, before it is read from the store.
 * Live outcomes of one user can arrive out of id order: two commits for the same recipient answered on two
 * PostgreSQL connections in the other order (frequent when the append runs with the COMMIT), or published by two
 * hubs. The missing one nearly always follows, within milliseconds when the hub is idle and within a few hundred
 * under load; reading it at once cost a store query per gap and device, and the registry waited for each while
 * every other delivery of the hub queued behind it (on PostgreSQL behind the commands waiting for a pooled
 * connection: deliveries seconds late). One that never comes (a lost publish) is read after this, or by the
 * reconciler (every 500 ms).
 */
const gapGraceMs = 250;
/** Ticks a heartbeat round is spread over (each device is still visited once per heartbeatMs). */
const pingSlices = 10;
/**
 * A device heard from more recently than this at its heartbeat visit is not pinged: it just showed it is there.
 * Why idleTimeoutMs − 2 × heartbeatMs: a device is closed at a visit where it has been silent for more than
 * idleTimeoutMs, so at each of the two visits before it had been silent for more than this and was pinged, as
 * every visit pinged it before. It has two pings (the newest at least heartbeatMs old) to answer before it is
 * closed, so a device that would have been kept is kept, and a cut one is closed as early as before (after
 * idleTimeoutMs to idleTimeoutMs + heartbeatMs of silence). With the defaults (5 s, 11 s): not pinged if heard
 * within the last second. Under load nearly every device has sent a frame (an ack) within the second: 5,000
 * devices' pings and pongs were 2,000 frames a second on top of the traffic.
 */
function quietForPing(limits: Limits): number {
  return Math.max(0, limits.idleTimeoutMs - 2 * limits.heartbeatMs);
}
/** A failed background read is tried again after this (through GapCheck); meanwhile the device waits. */
const readRetryMs = 1_000;

export class Registry {
  private readonly mailbox = new Mailbox<RegistryMessage>({ capacity: Infinity, name: 'registry' });
  private readonly users = new Map<string, UserState>();
  private readonly now: () => number;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private retransmitSweep: ReturnType<typeof setInterval> | undefined;
  /**
   * Devices with unacked outcomes, for the retransmit sweep. One interval for all devices, not a timer per device:
   * a fan-out to 1,000 devices that ack within milliseconds armed and cleared 1,000 timers per message.
   */
  private readonly waiting = new Set<DeviceState>();
  private outcomeRound = 0;
  /**
   * The devices still to visit in this heartbeat round. A round is spread over `pingSlices` ticks: pinging 5,000
   * sockets at once wrote 5,000 frames in one turn of the event loop, a stall every heartbeat that showed in the
   * latency tail of everything else.
   */
  private pingRound: Array<{ user: UserState; device: DeviceState }> = [];
  private readonly reads = new BackgroundReads((error) => this.config.log.error('registry store read failed', { err: error }));
  /** Joining devices' bounds, many users per store read (a reconnect storm). */
  private readonly joinBounds: JoinBounds;

  constructor(private readonly config: RegistryConfig) {
    this.now = config.now ?? Date.now;
    this.joinBounds = config.joinBounds ?? new JoinBounds((userIds) => outcomeBoundsOf(config.store.outcomes, userIds));
    // Both sweeps judge devices by what was heard from them, so they are told from the check phase that follows their
    // timer (setImmediate), after the loop has read its sockets, as gapCheckAfter is. After an event-loop stall
    // longer than idleTimeoutMs (an overloaded machine, a long GC), the timers are due before the frames and pongs
    // waiting on the sockets are read: told from the timer, the heartbeat closed every device as silent (4010) and
    // the retransmit sweep sent again what the acks waiting there had confirmed.
    this.heartbeat = setInterval(() => this.tellAfterReads({ type: 'Ping' }), Math.max(10, config.limits.heartbeatMs / pingSlices));
    this.heartbeat.unref();
    // A quarter of the retransmit timeout: an outcome is sent again 1 to 1.25 timeouts after it was sent.
    this.retransmitSweep = setInterval(() => this.tellAfterReads({ type: 'TimeOut' }), Math.max(10, config.limits.retransmitAfterMs / 4));
    this.retransmitSweep.unref();
  }

  /**
   * The registry session as a supervised task (run it in a group of size 1): it serves the mailbox one message
   * at a time. If a handler throws, the task crashes, its group restarts it and the message is handled again by
   * the next incarnation; after 3 failures it is dropped to the dead letters with an error log (registry messages
   * are refreshed by the next ack, timeout or reconnect, so nothing delivered is lost: outcomes are in the store).
   */
  task(): TaskFactory {
    return serveMailbox(this.mailbox, (message) => this.handle(message), {
      maxDeliveries: 3,
      onDeadLetter: (letter) => this.config.log.error('registry gave up on a message', { message: letter.message.type, err: letter.cause }),
    });
  }

  /** Sends a message to the registry; dropped once it is closed (the hub is shutting down). */
  tell(message: RegistryMessage): void {
    if (!this.mailbox.closed) this.mailbox.trySend(message);
  }

  /** Tells `message` from the check phase (setImmediate): after the loop has read the sockets that were ready. */
  private tellAfterReads(message: RegistryMessage): void {
    setImmediate(() => this.tell(message));
  }

  /** Devices connected to this hub. */
  get connections(): number {
    let n = 0;
    for (const u of this.users.values()) n += u.devices.size;
    return n;
  }

  /** Unacked outcomes across devices (a gauge). */
  get unacked(): number {
    let n = 0;
    for (const u of this.users.values()) for (const d of u.devices.values()) n += d.unacked.length;
    return n;
  }

  /** Stops taking messages: the task ends once what is queued is handled. */
  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.retransmitSweep) clearInterval(this.retransmitSweep);
    this.heartbeat = this.retransmitSweep = undefined;
    this.mailbox.close();
    this.reads.close();
  }

  /** Forgets every device (after the task ended). */
  dispose(): void {
    this.waiting.clear();
    this.users.clear();
  }

  private handle(m: RegistryMessage): void {
    switch (m.type) {
      case 'Join':
        return this.join(m.link, m.lastOutcomeId);
      case 'Disconnect':
        return this.disconnect(m.userId, m.deviceId, m.connectionId);
      case 'Outcome':
        return this.outcome(m.entries);
      case 'Ack':
        return this.ack(m.userId, m.deviceId, m.connectionId, m.outcomeId);
      case 'TimeOut':
        for (const d of [...this.waiting]) this.timeOut(d);
        return;
      case 'Ping':
        return this.ping();
      case 'Refresh':
        return this.refresh(m.latest);
      case 'GapCheck': {
        const d = this.device(m.userId, m.deviceId, m.connectionId);
        // Not the device's current wait (it caught up and a later gap started another): that wait decides.
        if (!d || d.gapCheck !== m.timer) return;
        d.gapCheck = undefined;
        return this.pumpCounted(this.users.get(m.userId)!, d);
      }
      case 'Joined':
        return this.joined(m.userId, m.deviceId, m.connectionId, m.bounds);
      case 'Replayed':
        return this.replayed(m);
    }
  }

  /**
   * GapCheck for the device after `ms`, told from the check phase that follows the timer (setImmediate), not from
   * the timer itself. After an event-loop stall longer than `ms` (a busy hub has stalls of 250–370 ms, the grace is
   * 250) the timer is due before the loop has read its sockets, and the outcome the device waits for may be
   * sitting in the fan-out's socket (Redis, or a PostgreSQL COMMIT answer) already: checked from the timer, the
   * gap was read from the store for every device of the fan-out (1,000 reads for a message to a 1,000-member
   * room) one phase before the outcome itself arrived.
   */
  private gapCheckAfter(d: DeviceState, ms: number): void {
    if (d.gapCheck !== undefined) return;
    const timer = setTimeout(() => this.tellAfterReads({ type: 'GapCheck', ...this.keyOf(d), timer }), ms);
    d.gapCheck = timer;
  }

  private keyOf(d: DeviceState): { userId: string; deviceId: string; connectionId: number } {
    return { userId: d.link.userId, deviceId: d.link.deviceId, connectionId: d.link.connectionId };
  }

  private device(userId: string, deviceId: string, connectionId: number): DeviceState | undefined {
    const d = this.users.get(userId)?.devices.get(deviceId);
    return d && d.link.connectionId === connectionId ? d : undefined;
  }

  private join(link: DeviceLink, lastOutcomeId: number): void {
    const previous = this.users.get(link.userId)?.devices.get(link.deviceId);
    if (previous) {
      this.drop(this.users.get(link.userId)!, previous);
      previous.link.writer.disconnect(CloseCode.replaced, 'replaced by a newer connection of this device');
    }
    let user = this.users.get(link.userId);
    if (!user) {
      user = { devices: new Map(), latest: 0, recent: new RecentOutcomes(recentPerUser), round: 0 };
      this.users.set(link.userId, user);
    }
    const d: DeviceState = {
      link,
      acked: lastOutcomeId,
      sent: lastOutcomeId,
      unacked: [],
      windowFullSince: undefined,
      gapCheck: undefined,
      reading: true,
    };
    user.devices.set(link.deviceId, d);
    // Live outcomes for the user that arrive meanwhile are kept (user.recent) and sent once the bounds are known.
    this.readBounds(this.keyOf(d));
  }

  /**
   * Reads a joining device's outcome bounds in the background, with the other joins of the moment (JoinBounds), and
   * again after readRetryMs if that fails.
   */
  private readBounds(key: { userId: string; deviceId: string; connectionId: number }): void {
    if (this.mailbox.closed || !this.device(key.userId, key.deviceId, key.connectionId)) return;
    this.joinBounds.of(key.userId).then(
      (bounds) => this.tell({ type: 'Joined', ...key, bounds }),
      (error: unknown) => {
        this.config.log.warn("reading a joining device's outcome bounds failed; retrying", { userId: key.userId, deviceId: key.deviceId, err: error });
        setTimeout(() => this.readBounds(key), readRetryMs).unref();
      },
    );
  }

  private joined(userId: string, deviceId: string, connectionId: number, bounds: OutcomeBounds): void {
    const d = this.device(userId, deviceId, connectionId);
    if (!d) return; // gone or replaced while its bounds were read
    const user = this.users.get(userId)!;
    d.reading = false;
    user.latest = Math.max(user.latest, bounds.last);
    const oldestKept = bounds.first === 0 ? bounds.last + 1 : bounds.first;
    if (d.sent > bounds.last) this.resync(d, 'ahead_of_hub', bounds.last);
    else if (d.sent < oldestKept - 1) this.resync(d, 'beyond_retention', bounds.last);
    this.pumpCounted(user, d);
  }

  private resync(d: DeviceState, reason: 'ahead_of_hub' | 'beyond_retention', lastOutcomeId: number): void {
    this.config.log.info('device resync', { userId: d.link.userId, deviceId: d.link.deviceId, reason, from: d.sent, to: lastOutcomeId });
    d.acked = d.sent = lastOutcomeId;
    d.unacked = [];
    this.waiting.delete(d);
    d.link.writer.send(JSON.stringify({ kind: 'resync', reason, lastOutcomeId }));
  }

  private drop(user: UserState, d: DeviceState): void {
    this.waiting.delete(d);
    clearTimeout(d.gapCheck);
    if (user.devices.get(d.link.deviceId) === d) user.devices.delete(d.link.deviceId);
    if (user.devices.size === 0) this.users.delete(d.link.userId);
  }

  private disconnect(userId: string, deviceId: string, connectionId: number): void {
    const user = this.users.get(userId);
    const d = this.device(userId, deviceId, connectionId);
    if (user && d) this.drop(user, d);
  }

  private outcome(entries: FanoutEntry[]): void {
    // Per recipient this is the hub's hottest loop (1,000 times for a message to a big room): no per-entry Set or
    // Map work beyond finding the user, one clock read and one counter update per fan-out.
    const round = ++this.outcomeRound;
    const touched: UserState[] = [];
    const bodies = new Map<unknown, Buffer>();
    let lastOutcome: unknown;
    let body: Buffer | undefined;
    for (const e of entries) {
      const user = this.users.get(e.userId);
      if (!user) continue;
      if (body === undefined || e.outcome !== lastOutcome) {
        lastOutcome = e.outcome;
        body = bodies.get(e.outcome);
        if (body === undefined) {
          body = pushBody(JSON.stringify(e.outcome));
          bodies.set(e.outcome, body);
        }
      }
      user.recent.put(e.outcomeId, body);
      if (e.outcomeId > user.latest) user.latest = e.outcomeId;
      if (user.round !== round) {
        user.round = round;
        touched.push(user);
      }
    }
    const now = this.now();
    let sent = 0;
    for (const user of touched) {
      for (const d of user.devices.values()) sent += this.pump(user, d, now, true);
    }
    this.config.counters.outcomes.inc(sent);
  }

  /**
   * Sends the device what it may receive now: next ids in order, within the ack window. Returns how many it sent
   * from memory; an id no longer in memory is read from the store in the background (Replayed goes on from there).
   */
  private pump(user: UserState, d: DeviceState, now = this.now(), live = false): number {
    if (d.reading) return 0;
    const { ackWindow } = this.config.limits;
    let sent = 0;
    while (d.sent - d.acked < ackWindow && d.sent < user.latest) {
      const body = user.recent.get(d.sent + 1);
      if (body === undefined) {
        // A live outcome overtook the next one: give it gapGraceMs to arrive before reading the store.
        if (live && user.recent.get(user.latest) !== undefined) {
          this.gapCheckAfter(d, gapGraceMs);
          break;
        }
        // The device already waits for its missing id (its grace, or a read's retry): an ack or any other call
        // meanwhile must not read the store at once. (It did: under load every device acks during the grace, so
        // an outcome overtaken for a 1,000-member room meant ~1,000 store reads instead of none.) GapCheck clears
        // the timer before it pumps, so the read happens when the wait is over.
        if (d.gapCheck !== undefined) break;
        this.startReplay(d);
        break;
      }
      this.transmit(d, d.sent + 1, body, now);
      sent++;
    }
    if (d.gapCheck !== undefined && d.sent === user.latest) {
      // Caught up: the wait is over. Left running, its timer cut short the grace of the device's next gap (it
      // fired on the old one's schedule, and the new missing id was read from the store a few ms after it was
      // overtaken, not gapGraceMs after).
      clearTimeout(d.gapCheck);
      d.gapCheck = undefined;
    }
    this.trackWindow(d);
    return sent;
  }

  /** pump, counting what it sent from memory. */
  private pumpCounted(user: UserState, d: DeviceState): void {
    this.config.counters.outcomes.inc(this.pump(user, d));
  }

  /** The next id is no longer in memory: reads a page of them from the store in the background. */
  private startReplay(d: DeviceState): void {
    const { ackWindow } = this.config.limits;
    d.reading = true;
    const key = this.keyOf(d);
    const after = d.sent;
    const limit = Math.min(replayPage, ackWindow - (d.sent - d.acked));
    this.reads.run(key.userId, async () => {
      try {
        this.tell({ type: 'Replayed', ...key, after, page: await this.config.store.outcomes.outcomesAfter(key.userId, after, limit) });
      } catch (error) {
        this.tell({ type: 'Replayed', ...key, after, page: [], failed: error });
      }
    });
  }

  /** A replay page came back: sends it (in order, within the window), then goes on pumping. */
  private replayed(m: Extract<RegistryMessage, { type: 'Replayed' }>): void {
    const d = this.device(m.userId, m.deviceId, m.connectionId);
    if (!d) return; // disconnected while reading
    const user = this.users.get(m.userId)!;
    d.reading = false;
    if (m.failed !== undefined) {
      // Nothing was sent; the outcomes are in the store. Try again later (through GapCheck), not in a loop.
      this.config.log.warn('reading outcomes to replay failed; retrying', { userId: m.userId, deviceId: m.deviceId, err: m.failed });
      this.gapCheckAfter(d, readRetryMs);
      return;
    }
    if (d.sent !== m.after) return this.pumpCounted(user, d); // moved on meanwhile (a resync): the page is stale
    const { ackWindow } = this.config.limits;
    if (m.page.length === 0) return this.trackWindow(d);
    if (m.page[0]!.id !== m.after + 1) {
      // Pruned below the retention window while the device lagged: it must refetch its state.
      this.resync(d, 'beyond_retention', user.latest);
    } else {
      for (const o of m.page) {
        if (d.sent - d.acked >= ackWindow) break;
        this.transmit(d, o.id, pushBody(JSON.stringify(o.body)));
        this.config.counters.replays.inc();
        if (o.id > user.latest) user.latest = o.id;
      }
    }
    this.pumpCounted(user, d);
  }

  private trackWindow(d: DeviceState): void {
    if (d.sent - d.acked >= this.config.limits.ackWindow) d.windowFullSince ??= this.now();
    else d.windowFullSince = undefined;
  }

  private transmit(d: DeviceState, id: number, body: Buffer, now = this.now()): void {
    d.link.writer.sendPush(id, body);
    d.sent = id;
    d.unacked.push({ id, body, sentAt: now });
    this.waiting.add(d);
  }

  private ack(userId: string, deviceId: string, connectionId: number, outcomeId: number): void {
    const user = this.users.get(userId);
    const d = this.device(userId, deviceId, connectionId);
    if (!user || !d || outcomeId <= d.acked || outcomeId > d.sent) return;
    d.acked = outcomeId;
    let i = 0;
    while (i < d.unacked.length && d.unacked[i]!.id <= outcomeId) i++;
    if (i > 0) this.config.counters.pushToAckSeconds.observe((this.now() - d.unacked[i - 1]!.sentAt) / 1000);
    d.unacked.splice(0, i);
    if (d.unacked.length === 0) this.waiting.delete(d);
    this.pumpCounted(user, d);
  }

  /** The seed's TimeOut: the oldest unacked outcome waited too long; send the unacked ones again. */
  private timeOut(d: DeviceState): void {
    const { userId, deviceId } = d.link;
    const user = this.users.get(userId);
    if (!user || user.devices.get(deviceId) !== d) {
      this.waiting.delete(d);
      return;
    }
    if (this.stalled(user, d)) return;
    const now = this.now();
    const first = d.unacked[0];
    if (first && now - first.sentAt >= this.config.limits.retransmitAfterMs) {
      for (const u of d.unacked) {
        d.link.writer.sendPush(u.id, u.body);
        u.sentAt = now;
      }
      this.config.counters.retransmits.inc(d.unacked.length);
      this.config.log.debug('retransmitted', { userId, deviceId, count: d.unacked.length, from: first.id });
    }
  }

  /** Disconnects a device whose window stayed full too long (4008); it resumes from its last ack on reconnect. */
  private stalled(user: UserState, d: DeviceState): boolean {
    if (d.windowFullSince === undefined || this.now() - d.windowFullSince < this.config.windowStallMs) return false;
    this.config.log.warn('slow consumer disconnected', { userId: d.link.userId, deviceId: d.link.deviceId, unacked: d.unacked.length });
    this.config.counters.slowConsumers.inc();
    this.drop(user, d);
    d.link.writer.disconnect(CloseCode.windowFull, 'unacked window stayed full; reconnect to resume');
    return true;
  }

  /** Users with devices here (the reconciler reads their newest ids). */
  userIds(): string[] {
    return [...this.users.keys()];
  }

  /** Catches up with the store: ids this hub never heard of (the fan-out lost them) are read from it and sent. */
  private refresh(latest: ReadonlyMap<string, number>): void {
    let behind = 0;
    for (const [userId, last] of latest) {
      const user = this.users.get(userId); // may have disconnected meanwhile
      if (!user || last <= user.latest) continue;
      behind++;
      user.latest = last;
      for (const d of user.devices.values()) this.pumpCounted(user, d);
    }
    if (behind > 0) this.config.log.info('sent outcomes the fan-out had not brought', { users: behind });
  }

  /**
   * Heartbeat tick: the next slice of this round's devices is visited: the ones silent for longer than idleTimeoutMs
   * are closed (4010), the others pinged unless heard from within the last idleTimeoutMs − 2 × heartbeatMs (see
   * quietForPing). A round starts with every device connected then and takes heartbeatMs.
   */
  private ping(): void {
    if (this.pingRound.length === 0) {
      for (const user of this.users.values()) for (const device of user.devices.values()) this.pingRound.push({ user, device });
    }
    const now = this.now();
    const quiet = quietForPing(this.config.limits);
    const slice = this.pingRound.splice(0, Math.ceil(this.connections / pingSlices));
    for (const { user, device: d } of slice) {
      // Gone or replaced since the round began: nothing to do.
      if (this.users.get(d.link.userId) !== user || user.devices.get(d.link.deviceId) !== d) continue;
      if (this.stalled(user, d)) continue;
      const silent = now - d.link.heard.at;
      if (silent > this.config.limits.idleTimeoutMs) {
        this.config.log.info('dead connection closed', { userId: d.link.userId, deviceId: d.link.deviceId });
        this.drop(user, d);
        d.link.writer.disconnect(CloseCode.idle, 'no frame or pong within the idle timeout');
      } else if (silent >= quiet) d.link.writer.ping();
    }
  }

}
