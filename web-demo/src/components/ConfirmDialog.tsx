// Asks before something that cannot be undone (dissolving a group, deleting a message). The safe choice has the
// focus; Escape and the backdrop cancel; focus returns to what opened the dialog.
import { useEffect, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel }: ConfirmDialogProps) {
  const cancelButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    cancelButton.current?.focus();
    return () => opener?.focus();
  }, []);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      onCancel();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onCancel]);
  // In a portal: a message row is transformed (virtualized list), which would trap a fixed backdrop inside it.
  return createPortal(
    <div className="backdrop" onClick={onCancel} data-testid="confirm-backdrop">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-text" onClick={(event) => event.stopPropagation()} data-testid="confirm-dialog">
        <h2 id="confirm-title">{title}</h2>
        <p id="confirm-text">{children}</p>
        <div className="dialog-actions">
          <button type="button" className="danger" onClick={onConfirm} data-testid="confirm-yes">
            {confirmLabel}
          </button>
          <button type="button" ref={cancelButton} className="ghost" onClick={onCancel} data-testid="confirm-no">
            Cancel
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
