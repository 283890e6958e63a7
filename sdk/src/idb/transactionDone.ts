// Settles when a native IndexedDB transaction commits, or rejects with why it aborted (a failed
// request aborts the whole transaction, which is what makes a batch all-or-nothing): one promise
// per batch instead of one per request.
export function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('IndexedDB transaction aborted', 'AbortError'));
  });
}
