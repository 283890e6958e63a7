// The device's sealed session log: its length, the last seal, a Verify button that re-checks every
// seal of the chain in IndexedDB, and how many times the hub recalled the session.
import { useState } from 'react';
import { useObservable } from '@stage/sdk/react';
import { useChat } from '../chat/ChatContext.js';
import type { VerifyResult } from '../chat/ChatTransport.js';

export function SessionPanel() {
  const chat = useChat();
  const log = useObservable(chat.transport.log$, { sessionId: undefined, length: 0, lastSeal: undefined, recalls: 0 });
  const problem = useObservable(chat.transport.problem$, undefined);
  const [verdict, setVerdict] = useState<VerifyResult | 'checking' | undefined>();
  const verify = async () => {
    setVerdict('checking');
    setVerdict(await chat.transport.verify());
  };
  return (
    <section className="panel" aria-label="Session" data-testid="session-panel">
      <h2>Session</h2>
      <dl className="facts">
        <dt>Session</dt>
        <dd className="mono" title={log.sessionId}>
          {log.sessionId ? `${log.sessionId.slice(0, 12)}…` : '—'}
        </dd>
        <dt>Sealed log</dt>
        <dd data-testid="log-length">{log.length}</dd>
        <dt>Last seal</dt>
        <dd className="mono" data-testid="last-seal" title={log.lastSeal}>
          {log.lastSeal ? `${log.lastSeal.slice(0, 16)}…` : '—'}
        </dd>
        <dt>Recalls</dt>
        <dd data-testid="recall-count">{log.recalls}</dd>
      </dl>
      <button type="button" onClick={() => void verify()} disabled={verdict === 'checking'} data-testid="verify">
        Verify chain
      </button>
      {verdict && verdict !== 'checking' && (
        <p className={`verdict ${verdict.ok ? 'ok' : 'bad'}`} data-testid="verify-result">
          {verdict.ok ? `✔ All ${verdict.entries} seals verify.` : `✘ ${verdict.message}`}
        </p>
      )}
      {problem && (
        <p className="verdict bad" role="alert" data-testid="session-problem">
          {problem}
        </p>
      )}
      <p className="hint">
        Every command this device sends is sealed (HMAC-SHA-256 over the previous seal) and kept in IndexedDB. A hub that lost the session asks for the chain,
        verifies it and replays it.
      </p>
    </section>
  );
}
