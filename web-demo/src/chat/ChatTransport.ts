// What the chat UI needs from a connection to the hub. `imTransport.ts` adapts the SDK's ImClient to
// it; keeping the seam this narrow lets the store be read top to bottom without the wire details.
import type { Observable } from 'rxjs';
import type { CommandArgs, CommandType, Outcome, ReplyData } from '@stage/sdk/im';
import type { InspectionEvent } from '@stage/sdk';

/** What the badge in the top bar shows. */
export type ConnectionState = 'connecting' | 'online' | 'offline' | 'reconnecting' | 'recalling' | 'closed';

/** The device's sealed log as the session panel shows it. */
export interface SealedLogInfo {
  sessionId: string | undefined;
  length: number;
  lastSeal: string | undefined;
  recalls: number;
}

export type VerifyResult = { ok: true; entries: number } | { ok: false; seq?: number; message: string };

export interface ChatTransport {
  readonly connection$: Observable<ConnectionState>;
  /** Why the connection is not online, when there is something to tell the user. */
  readonly problem$: Observable<string | undefined>;
  readonly outcomes$: Observable<Outcome>;
  readonly log$: Observable<SealedLogInfo>;
  readonly inspect$: Observable<InspectionEvent>;
  /** Sends a command; resolves with its reply data, rejects with an error carrying `code`. Survives reconnects. */
  request<T extends CommandType>(type: T, args: CommandArgs<T>, traceId?: string): Promise<ReplyData<T>>;
  verify(): Promise<VerifyResult>;
  close(): void;
}
