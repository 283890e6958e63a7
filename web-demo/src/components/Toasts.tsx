// Short notices (a command the hub refused, a timeout) in the corner.
import { useObservable } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';

export function Toasts() {
  const chat = useChatSession();
  const toasts = useObservable(chat.toasts$);
  return (
    <div className="toasts" aria-live="assertive">
      {toasts.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.tone}`} role={toast.tone === 'error' ? 'alert' : 'status'} data-testid="toast">
          {toast.text}
        </div>
      ))}
    </div>
  );
}
