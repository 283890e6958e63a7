// The device's sealed session log: its length, the last seal, a Verify button that re-checks every
// seal of the chain kept in IndexedDB, and how many times the hub recalled the session.
import { useState } from 'react';
import type { LogVerification } from '@stage/sdk/im';
import { useSealedLog } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';
import { useConnectionProblem } from '../components/ConnectionBadge.js';

export function SessionPanel() {
  const log = useSealedLog();
  // A verdict is about one session's chain: a new session (after a refused chain) starts without one.
  return <SessionFacts key={log?.sessionId ?? 'none'} />;
}

function SessionFacts() {
  const chat = useChatSession();
  const log = useSealedLog();
  const problem = useConnectionProblem();
  const [verdict, setVerdict] = useState<LogVerification | 'checking' | undefined>();
  const verify = async () => {
    setVerdict('checking');
    setVerdict(await chat.verify());
  };
  return (
    <section className="panel" aria-label="Session" data-testid="session-panel">
      <h2 tabIndex={-1}>Session</h2>
      <dl className="facts">
        <dt>Session</dt>
        <dd className="mono" title={log?.sessionId} data-testid="session-id">
          {log ? `${log.sessionId.slice(0, 12)}…` : '—'}
        </dd>
        <dt>Sealed log</dt>
        <dd data-testid="log-length">{log?.length ?? 0}</dd>
        <dt>Last seal</dt>
        <dd className="mono" data-testid="last-seal" title={log?.lastSeal ?? ''}>
          {log?.lastSeal ? `${log.lastSeal.slice(0, 16)}…` : '—'}
        </dd>
        <dt>Recalls</dt>
        <dd data-testid="recall-count">{log?.recalls ?? 0}</dd>
      </dl>
      <button type="button" onClick={() => void verify()} disabled={verdict === 'checking'} data-testid="verify">
        Verify chain
      </button>
      {verdict && verdict !== 'checking' && (
        <p className={`verdict ${verdict.ok ? 'ok' : 'bad'}`} data-testid="verify-result">
          {verdict.ok ? `✔ All ${verdict.length} seals verify.` : `✘ ${verdict.error.message.replace(/ of session \S+/, '')}`}
        </p>
      )}
      {problem && (
        <p className="verdict bad" data-testid="session-problem">
          {problem}
        </p>
      )}
      <p className="hint">
        Every command this device sends is sealed (HMAC-SHA-256 over the previous seal, the sequence number and the command) and kept in IndexedDB. A hub that
        lost the session asks for the chain, verifies every seal and replays it; a forged or damaged chain is refused whole.
      </p>
    </section>
  );
}
