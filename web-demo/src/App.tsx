// The app shell: sign-in, then the chat — sidebar of streams and topics, the open topic (or the first steps), and
// side panels (streams, groups, session, inspector). At phone width the sidebar is a drawer (closed by its close
// button, the backdrop or Escape), the panels are sheets and the top bar keeps one row (panels and sign-out behind
// a "More" button). A panel that opens takes the focus; Escape closes it.
import { useEffect, useRef, useState } from 'react';
import { ImClientProvider, useObservable, useTotalUnread } from '@stage/sdk/react';
import { deviceId, forgetAccount, savedAccount, type Account } from './auth/account.js';
import { LoginScreen } from './auth/LoginScreen.js';
import { ChatSession } from './chat/ChatSession.js';
import { ChatSessionContext, useChatSession } from './chat/ChatSessionContext.js';
import { openClient } from './chat/openChat.js';
import { ConnectionBadge, ProblemBanner } from './components/ConnectionBadge.js';
import { FirstSteps } from './components/FirstSteps.js';
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
  // One session per signed-in account, opened in an effect (not during render); a client that
  // finishes opening after its effect was cleaned up is closed at once, so nothing leaks.
  const [session, setSession] = useState<ChatSession>();
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    let current: ChatSession | undefined;
    let cancelled = false;
    openClient(account, deviceId()).then(
      (client) => {
        if (cancelled) return void client.close();
        current = new ChatSession(client, { userId: account.userId, username: account.username });
        setSession(current);
      },
      (error: unknown) => setFailure(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      cancelled = true;
      void current?.dispose();
      setSession(undefined);
    };
  }, [account]);
  if (failure) return <p className="verdict bad">Could not open this device's storage: {failure}</p>;
  if (!session) return null;
  // The IM state is read through the SDK's hooks (ImClientProvider); the session adds what only this page has.
  return (
    <ImClientProvider client={session.client}>
      <ChatSessionContext.Provider value={session}>
        <Shell account={account} onSignOut={onSignOut} />
      </ChatSessionContext.Provider>
    </ImClientProvider>
  );
}

function Shell({ account, onSignOut }: { account: Account; onSignOut: () => void }) {
  // Nothing technical opens by itself: a new user sees the first steps, not the session panel.
  const [panel, setPanel] = useState<PanelName>();
  const [drawer, setDrawer] = useState(false);
  const [more, setMore] = useState(false);
  const [askSignOut, setAskSignOut] = useState(false);
  const chat = useChatSession();
  const selected = useObservable(chat.selected$);
  const panelElement = useRef<HTMLElement>(null);
  const menuButton = useRef<HTMLButtonElement>(null);
  const sidebarElement = useRef<HTMLElement>(null);
  const signOut = () => {
    // Nothing unsent: sign out at once (the user's data is wiped); otherwise ask what to do with it.
    if (chat.unsentCount() > 0) return setAskSignOut(true);
    void chat.signOut('discard').then(onSignOut, onSignOut);
  };
  const openPanel = (name: PanelName | undefined) => {
    setPanel(name);
    setMore(false);
  };
  const closeDrawer = () => {
    setDrawer(false);
    menuButton.current?.focus();
  };
  // A panel that opens takes the focus (its heading), so keyboard and screen-reader users land in it.
  useEffect(() => {
    if (panel) panelElement.current?.querySelector<HTMLElement>('h2')?.focus();
  }, [panel]);
  useEffect(() => {
    if (drawer) sidebarElement.current?.querySelector<HTMLElement>('[data-testid=close-drawer]')?.focus();
  }, [drawer]);
  // Escape closes the innermost open thing: the More menu, the drawer, then the panel (dialogs handle their own).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented || askSignOut) return;
      if (more) setMore(false);
      else if (drawer) closeDrawer();
      else if (panel) setPanel(undefined);
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
  const unreadTotal = useTotalUnread();
  return (
    <div className={`shell${panel ? ' with-panel' : ''}${drawer ? ' drawer-open' : ''}`}>
      <header className="topbar">
        <button
          type="button"
          ref={menuButton}
          className="ghost icon menu"
          onClick={() => setDrawer(!drawer)}
          aria-label="Streams and topics"
          aria-expanded={drawer}
          data-testid="menu"
        >
          ☰{unreadTotal > 0 && <span className="unread dot-count">{unreadTotal}</span>}
        </button>
        <div className="brand">
          <span className="logo" aria-hidden="true">◆</span> <span className="brand-text">Stage</span>
        </div>
        <ConnectionBadge />
        <button type="button" className="ghost small more" onClick={() => setMore(!more)} aria-expanded={more} aria-controls="topbar-menu" data-testid="more">
          More
        </button>
        <div id="topbar-menu" className={`topbar-menu${more ? ' open' : ''}`}>
          <nav className="panel-tabs" aria-label="Panels">
            {(Object.keys(panelTitles) as PanelName[]).map((name) => (
              <button
                key={name}
                type="button"
                className={`ghost small${panel === name ? ' active' : ''}`}
                onClick={() => openPanel(panel === name ? undefined : name)}
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
        </div>
      </header>
      {drawer && <div className="drawer-backdrop" onClick={closeDrawer} data-testid="drawer-backdrop" aria-hidden="true" />}
      <Sidebar ref={sidebarElement} onNavigate={() => setDrawer(false)} onClose={closeDrawer} onNewStream={() => openPanel('streams')} />
      <main className="main">
        <ProblemBanner />
        {selected ? (
          <TopicView key={`${selected.stream}/${selected.topic}`} stream={selected.stream} topic={selected.topic} />
        ) : (
          <FirstSteps username={account.username} onOpenPanel={openPanel} />
        )}
      </main>
      {panel && (
        <aside className="side-panel" ref={panelElement} aria-label={`${panelTitles[panel]} panel`}>
          <button type="button" className="ghost icon close" onClick={() => setPanel(undefined)} aria-label="Close panel" data-testid="close-panel">
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
