// The app shell: sign-in, then the chat — sidebar of streams and topics, the open topic, and side
// panels (streams, groups, session, inspector). At phone width the sidebar and panels become drawers.
import { useEffect, useMemo, useState } from 'react';
import { useObservable } from '@stage/sdk/react';
import { deviceId, forgetAccount, savedAccount, type Account } from './auth/account.js';
import { LoginScreen } from './auth/LoginScreen.js';
import { ChatContext, useChat as useChatStore } from './chat/ChatContext.js';
import { ChatStore } from './chat/ChatStore.js';
import { openClient } from './chat/openChat.js';
import { ConnectionBadge, ProblemBanner } from './components/ConnectionBadge.js';
import { Sidebar } from './components/Sidebar.js';
import { SignOutDialog } from './components/SignOutDialog.js';
import { Toasts } from './components/Toasts.js';
import { TopicView } from './components/TopicView.js';
import { GroupsPanel } from './panels/GroupsPanel.js';
import { InspectorPanel } from './panels/InspectorPanel.js';
import { SessionPanel } from './panels/SessionPanel.js';
import { StreamsPanel } from './panels/StreamsPanel.js';

type PanelName = 'streams' | 'groups' | 'session' | 'inspector';
const panelTitles: Record<PanelName, string> = { streams: 'Streams', groups: 'Groups', session: 'Session', inspector: 'Inspector' };

export function App() {
  const [account, setAccount] = useState<Account | undefined>(savedAccount);
  if (!account) return <LoginScreen onSignedIn={setAccount} />;
  return (
    <Chat
      key={account.userId}
      account={account}
      onSignOut={() => {
        forgetAccount();
        setAccount(undefined);
      }}
    />
  );
}

function Chat({ account, onSignOut }: { account: Account; onSignOut: () => void }) {
  // One store per signed-in account, opened in an effect (not during render); a store that
  // finishes opening after its effect was cleaned up is closed at once, so nothing leaks.
  const [store, setStore] = useState<ChatStore>();
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    let current: ChatStore | undefined;
    let cancelled = false;
    openClient(account, deviceId()).then(
      (client) => {
        if (cancelled) return void client.close();
        current = new ChatStore(client, { userId: account.userId, username: account.username });
        setStore(current);
      },
      (error: unknown) => setFailure(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      cancelled = true;
      void current?.dispose();
      setStore(undefined);
    };
  }, [account]);
  if (failure) return <p className="verdict bad">Could not open this device's storage: {failure}</p>;
  if (!store) return null;
  return (
    <ChatContext.Provider value={store}>
      <Shell account={account} onSignOut={onSignOut} />
    </ChatContext.Provider>
  );
}

function Shell({ account, onSignOut }: { account: Account; onSignOut: () => void }) {
  const [panel, setPanel] = useState<PanelName | undefined>(() => (window.innerWidth > 1100 ? 'session' : undefined));
  const [drawer, setDrawer] = useState(false);
  const [askSignOut, setAskSignOut] = useState(false);
  const chat = useChatStore();
  const storeSelected = useSelected();
  const ready = useObservable(chat.ready$);
  const signOut = () => {
    // Nothing unsent: sign out at once (the user's data is wiped); otherwise ask what to do with it.
    if (chat.unsentCount() > 0) return setAskSignOut(true);
    void chat.signOut('discard').then(onSignOut, onSignOut);
  };
  const unreadTotal = useUnreadTotal();
  return (
    <div className={`shell${panel ? ' with-panel' : ''}${drawer ? ' drawer-open' : ''}`}>
      <header className="topbar">
        <button type="button" className="ghost icon menu" onClick={() => setDrawer(!drawer)} aria-label="Streams and topics" data-testid="menu">
          ☰{unreadTotal > 0 && <span className="unread dot-count">{unreadTotal}</span>}
        </button>
        <div className="brand">
          <span className="logo" aria-hidden="true">◆</span> Stage
        </div>
        <ConnectionBadge />
        <nav className="panel-tabs" aria-label="Panels">
          {(Object.keys(panelTitles) as PanelName[]).map((name) => (
            <button
              key={name}
              type="button"
              className={`ghost small${panel === name ? ' active' : ''}`}
              onClick={() => setPanel(panel === name ? undefined : name)}
              aria-pressed={panel === name}
              data-testid={`panel-${name}`}
            >
              {panelTitles[name]}
            </button>
          ))}
        </nav>
        <span className="me" data-testid="me">
          {account.username}
        </span>
        <button type="button" className="ghost small" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <Sidebar onNavigate={() => setDrawer(false)} onNewStream={() => setPanel('streams')} />
      <main className="main">
        <ProblemBanner />
        {storeSelected ? (
          <TopicView key={`${storeSelected.stream}/${storeSelected.topic}`} stream={storeSelected.stream} topic={storeSelected.topic} />
        ) : (
          <div className="welcome">
            <h1>Welcome, {account.username}</h1>
            {ready ? (
              <p>Pick a topic on the left, or start one: create a group, a stream visible to it, then type a topic name under the stream.</p>
            ) : (
              <p role="status">Loading your streams and topics…</p>
            )}
          </div>
        )}
      </main>
      {panel && (
        <aside className="side-panel">
          <button type="button" className="ghost icon close" onClick={() => setPanel(undefined)} aria-label="Close panel">
            ✕
          </button>
          {panel === 'streams' && <StreamsPanel />}
          {panel === 'groups' && <GroupsPanel />}
          {panel === 'session' && <SessionPanel />}
          {panel === 'inspector' && <InspectorPanel />}
        </aside>
      )}
      <Toasts />
      {askSignOut && <SignOutDialog onDone={onSignOut} onCancel={() => setAskSignOut(false)} />}
    </div>
  );
}

function useSelected() {
  const chat = useChatStore();
  return useObservable(chat.selected$);
}

function useUnreadTotal(): number {
  const chat = useChatStore();
  const unread = useObservable(chat.unread$);
  const muted = useObservable(chat.muted$);
  return useMemo(() => [...unread].filter(([key]) => !muted.has(key)).reduce((sum, [, count]) => sum + count, 0), [unread, muted]);
}
