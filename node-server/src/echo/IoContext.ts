// What a WORKER hands to an RX or TX machine with `M1`: the byte channel to use, who to answer
// (`M1` done, `M2` failed) and the bytes read or to be written.
import type { ByteChannel, MachineRef } from '@stage/sdk';

/** A machine that takes RX/TX answers: `M1` when the I/O is done, `M2` when it failed. */
export type IoRequester = MachineRef<{ M1: undefined; M2: undefined }>;

export interface IoContext {
  channel: ByteChannel;
  readonly requester: IoRequester;
  /** RX stores what it read here; TX writes these bytes (nothing when null). */
  bytes: Uint8Array | null;
}
