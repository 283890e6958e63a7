// The traffic shapes of the hub benchmark (issue #12): who is in which room, who sends, how much in flight.
import type { Layout } from './protocol.js';

export type PhaseSpec =
  | { name: string; kind: 'closed'; senders: number[]; inFlight: number }
  | { name: string; kind: 'open'; rate: number; senders: number[] };

export interface ShapeSpec {
  name: string;
  describe: string;
  layout: Layout;
  /** Message text size in bytes. */
  bytes: number;
  /** The phase named 'load' gives the shape's deliveries/s and per CPU-second. */
  phases: PhaseSpec[];
  /**
   * At most this many implementations stay connected between rounds (default: as many as the descriptors allow);
   * the others connect again in their turn.
   */
  keepAtMost?: number;
}

const range = (n: number, step = 1) => Array.from({ length: n }, (_, i) => i * step);

/** A pipelining sender keeps this many messages unacked (Stage's own sender caps it by the announced rate limit). */
const PIPELINE = 64;

export const SHAPES: Record<string, ShapeSpec> = {
  room: {
    name: 'room',
    describe: '1,000 receivers in one room: 10 msg/s offered, then one sender pipelining 64',
    layout: { rooms: 1, members: 1000 },
    bytes: 200,
    // The fixed load first: every implementation at the same rate, below Stage's default per-connection limit
    // (50 commands/s), which caps Stage's pipelining sender in the 'load' phase but not the others.
    phases: [
      { name: 'at_10_msg_s', kind: 'open', rate: 10, senders: [0] },
      { name: 'load', kind: 'closed', senders: [0], inFlight: PIPELINE },
    ],
  },
  'room-senders': {
    name: 'room-senders',
    describe: '1,000 receivers in one room, 50 of them sending, one message in flight each',
    layout: { rooms: 1, members: 1000 },
    bytes: 200,
    phases: [{ name: 'load', kind: 'closed', senders: range(50, 20), inFlight: 1 }],
  },
  streams: {
    name: 'streams',
    describe: '1,000 streams × 5 members, every member sending, one in flight each; then 100 and 500 msg/s offered',
    layout: { rooms: 1000, members: 5 },
    bytes: 200,
    // The fixed loads first: the saturating phase leaves a slow server with a backlog that would sit in their latency.
    phases: [
      // Round robin over members 0, 5, 10, …, 1, 6, …: consecutive messages go to different streams.
      { name: 'at_100_msg_s', kind: 'open', rate: 100, senders: range(5).flatMap((m) => range(1000, 5).map((i) => i + m)) },
      { name: 'at_500_msg_s', kind: 'open', rate: 500, senders: range(5).flatMap((m) => range(1000, 5).map((i) => i + m)) },
      { name: 'load', kind: 'closed', senders: range(5000), inFlight: 1 },
    ],
  },
  audience: {
    name: 'audience',
    describe: '5,000 receivers in one room, one sender pipelining 64',
    layout: { rooms: 1, members: 5000 },
    bytes: 200,
    phases: [{ name: 'load', kind: 'closed', senders: [0], inFlight: PIPELINE }],
  },
  size: {
    name: 'size',
    describe: '4 KB messages to 1,000 receivers in one room, one sender pipelining 64',
    layout: { rooms: 1, members: 1000 },
    bytes: 4096,
    phases: [{ name: 'load', kind: 'closed', senders: [0], inFlight: PIPELINE }],
  },
};

/**
 * The shape with `scale` times the connections (rooms of the many-rooms shape, members of the one-room shapes), the
 * senders that remain: for smoke tests of the harness only (`--scale 0.1`); the figures are at scale 1.
 */
export function scaled(shape: ShapeSpec, scale: number): ShapeSpec {
  if (scale === 1) return shape;
  const layout = shape.layout.rooms > 1
    ? { rooms: Math.max(1, Math.round(shape.layout.rooms * scale)), members: shape.layout.members }
    : { rooms: 1, members: Math.max(2, Math.round(shape.layout.members * scale)) };
  const count = layout.rooms * layout.members;
  const phases = shape.phases.map((p) => ({ ...p, senders: p.senders.filter((i) => i < count) }));
  return { ...shape, layout, phases };
}
