// The IM hooks against a real ImClient talking to the in-memory FakeHub, in a real React root in
// Chromium: connection state, a topic's messages and unread counts follow the client live, and
// unmounting leaves no subscription on the client's streams.
import { act, StrictMode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImClient } from '../im/client/ImClient.js';
import { FakeHub } from '../testing/FakeHub.js';
import { ImClientProvider, useConnectionState, usePendingCommands, useSealedLog, useTopicMessages, useUnreadCount } from './imHooks.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;
let hub: FakeHub;
let client: ImClient;

beforeEach(async () => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  hub = new FakeHub({ username: 'alice' });
  client = await ImClient.open({ url: 'http://hub.test', deviceId: 'react-test', token: 't', WebSocket: hub.WebSocket, autoSync: false, reconnect: { initialDelayMs: 1, jitter: 0 } });
});
afterEach(async () => {
  act(() => root.unmount());
  container.remove();
  await client.close();
});

/** Lets the client's microtasks and the fake hub's frames run, inside act so React sees the updates. */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
  }
  expect(until()).toBe(true);
}

function Topic() {
  const state = useConnectionState();
  const messages = useTopicMessages('team', 'launch');
  const pending = usePendingCommands();
  const log = useSealedLog();
  return (
    <div>
      <p id="state">{state}</p>
      <ul id="messages">
        {messages.map((message) => (
          <li key={message.messageId}>{message.content}</li>
        ))}
      </ul>
      <p id="pending">{pending.length}</p>
      <p id="log">{log?.length ?? 0}</p>
    </div>
  );
}

function Unread() {
  return <b id="unread">{useUnreadCount('team', 'launch')}</b>;
}

const text = (selector: string) => container.querySelector(selector)?.textContent;

describe('IM hooks', () => {
  it('follow the connection, messages, pending commands and the sealed log live', async () => {
    act(() =>
      root.render(
        <StrictMode>
          <ImClientProvider client={client}>
            <Topic />
          </ImClientProvider>
        </StrictMode>,
      ),
    );
    expect(text('#state')).toBe('offline');
    client.connect();
    await settle(() => text('#state') === 'online');

    let sent!: Promise<unknown>;
    act(() => {
      sent = client.sendMessage({ stream: 'team', topic: 'launch', content: 'hello' });
    });
    expect(text('#pending')).toBe('1');
    await act(async () => {
      await sent;
    });
    await settle(() => text('#messages') === 'hello');
    expect(text('#pending')).toBe('0');
    expect(text('#log')).toBe('1');
  });

  it('counts unread messages pushed by someone else', async () => {
    act(() => root.render(<ImClientProvider client={client}><Unread /></ImClientProvider>));
    client.connect();
    await settle(() => client.connection.state === 'online');
    expect(text('#unread')).toBe('0');
    const message = { messageId: 'b1', seq: 50, stream: 'team', topic: 'launch', senderId: 'bob-id', senderName: 'bob', content: 'hi alice', createdAt: 1, editedAt: null, deleted: false };
    act(() => void hub.push({ type: 'NewMessage', message }));
    await settle(() => text('#unread') === '1');
    act(() => void hub.push({ type: 'NewMessage', message: { ...message, messageId: 'b2', seq: 51 } }));
    await settle(() => text('#unread') === '2');
  });

  it('leave no subscription on the client after unmount', async () => {
    // The client's public streams are asObservable() views of its subjects: `source` is the subject.
    const streams = [client.state$, client.connection$, client.pending$, client.log$];
    const observed = () => streams.map((stream) => (stream as unknown as { source?: { observed?: boolean } }).source?.observed);
    act(() => root.render(<ImClientProvider client={client}><Topic /><Unread /></ImClientProvider>));
    expect(observed()).toEqual([true, true, true, true]);
    act(() => root.render(<p>gone</p>));
    expect(observed()).toEqual([false, false, false, false]);
  });

  it('explain a missing client', () => {
    const original = console.error;
    console.error = () => {};
    try {
      expect(() => act(() => root.render(<Unread />))).toThrow(/No ImClient/);
    } finally {
      console.error = original;
    }
  });
});
