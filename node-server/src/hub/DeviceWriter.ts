// The writer session of one connection (the seed's WebsocketSessions): the only code that sends on the socket.
// Fed by its own mailbox with Message(text), Disconnect(code, reason) and Ping, written in order; everything
// else (registry, command replies) just drops messages into the mailbox and never touches the socket.
import { Mailbox, MailboxClosedError } from '@stage/sdk';
import { WebSocket } from 'ws';

export type WriterMessage =
  | { type: 'Message'; text: string }
  | { type: 'Disconnect'; code: number; reason: string }
  | { type: 'Ping' };

/** Above this many buffered bytes the writer waits for the socket before writing more. */
const highWaterBytes = 1 << 20;

export class DeviceWriter {
  private readonly mailbox: Mailbox<WriterMessage>;
  /** Resolves when the writer has stopped (socket closed or Disconnect written). */
  readonly done: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    name: string,
  ) {
    // Unbounded like the seed's channel: pushes are bounded upstream by the ack window, replies by the
    // one-command-at-a-time reader.
    this.mailbox = new Mailbox<WriterMessage>({ capacity: Infinity, name: `writer:${name}` });
    ws.once('close', () => this.mailbox.close());
    this.done = this.run();
  }

  send(text: string): void {
    this.post({ type: 'Message', text });
  }

  disconnect(code: number, reason: string): void {
    this.post({ type: 'Disconnect', code, reason: reason.slice(0, 120) });
  }

  ping(): void {
    this.post({ type: 'Ping' });
  }

  get closed(): boolean {
    return this.mailbox.closed;
  }

  private post(message: WriterMessage): void {
    if (!this.mailbox.closed) this.mailbox.trySend(message);
  }

  private async run(): Promise<void> {
    const receiver = this.mailbox.receiver();
    for (;;) {
      let lease;
      try {
        lease = await receiver.receive();
      } catch (e) {
        if (e instanceof MailboxClosedError) return;
        throw e;
      }
      const message = lease.value;
      lease.ack();
      if (this.ws.readyState !== WebSocket.OPEN) continue;
      switch (message.type) {
        case 'Message':
          if (this.ws.bufferedAmount > highWaterBytes) {
            await new Promise<void>((resolve) => this.ws.send(message.text, () => resolve()));
          } else this.ws.send(message.text);
          break;
        case 'Ping':
          this.ws.ping();
          break;
        case 'Disconnect':
          this.ws.close(message.code, message.reason);
          this.mailbox.close();
          return;
      }
    }
  }
}
