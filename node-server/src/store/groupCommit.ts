// What the two stores' group commits share: how big a batch may grow, and how a batch waits for pipelined work.

/**
 * A batch takes no more transactions once it holds this many or has been open this long: the first transaction's
 * reply waits for the whole batch.
 */
export const maxBatchTransactions = 64;
export const maxBatchMs = 200;

/**
 * Waits until the promise jobs under way have run: a device's next command, already received, starts when the
 * previous one is ordered and reaches the store through promise jobs only. Not setImmediate: that also waits for
 * every pending I/O callback (a fan-out's acks), and the whole batch would wait with it.
 */
export const afterPromiseJobs = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));
