// Signing out wipes this user's data from the browser. When commands are still unsent (written
// offline, or waiting for the hub), the user decides first: send them and then sign out, discard
// them, or stay. Escape and the backdrop cancel; nothing is wiped until a choice is made.
import { useEffect, useRef, useState } from 'react';
import { usePendingCommands } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';
import { useShownConnectionState } from '../chat/useShownConnectionState.js';

export function SignOutDialog({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const chat = useChatSession();
  const connection = useShownConnectionState();
  const unsent = usePendingCommands().length;
  const [sending, setSending] = useState<AbortController>();
  const [error, setError] = useState<string>();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const cancel = () => {
    sending?.abort(new Error('cancelled'));
    onCancel();
  };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') cancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
  const signOut = async (choice: 'send' | 'discard') => {
    const abort = new AbortController();
    if (choice === 'send') setSending(abort);
    try {
      await chat.signOut(choice, abort.signal);
      onDone();
    } catch (caught) {
      if (!abort.signal.aborted) setError(caught instanceof Error ? caught.message : String(caught));
      setSending(undefined);
    }
  };
  return (
    <div className="backdrop" onClick={cancel} data-testid="signout-backdrop">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="signout-title" aria-describedby="signout-text" onClick={(event) => event.stopPropagation()} data-testid="signout-dialog">
        <h2 id="signout-title">Sign out with unsent messages?</h2>
        <p id="signout-text">
          {unsent === 1 ? '1 message or change has' : `${unsent} messages or changes have`} not reached the hub yet. Signing out removes your data from this browser, so
          the next person to sign in here never sees them.
          {connection !== 'online' && ' You are offline: sending waits until the connection is back.'}
        </p>
        {error && <p className="verdict bad">{error}</p>}
        <div className="dialog-actions">
          <button type="button" ref={first} onClick={() => void signOut('send')} disabled={sending !== undefined} data-testid="signout-send">
            {sending ? `Sending ${unsent}…` : 'Send them, then sign out'}
          </button>
          <button type="button" className="danger" onClick={() => void signOut('discard')} data-testid="signout-discard">
            Discard and sign out
          </button>
          <button type="button" className="ghost" onClick={cancel} data-testid="signout-cancel">
            Stay signed in
          </button>
        </div>
      </div>
    </div>
  );
}
