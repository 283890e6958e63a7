// Test support: records an engine's trace lines and waits for a given line, so tests await
// events instead of sleeping.
import type { Engine } from '@stage/sdk';

export interface TraceRecorder {
  readonly lines: string[];
  /** Resolves when `line` has been traced (at or after index `from`, default 0). */
  waitFor(line: string, from?: number): Promise<number>;
  /** Index of `block` as a contiguous run of lines, or -1. */
  indexOfBlock(block: readonly string[]): number;
}

export function traceRecorder(engine: Engine): TraceRecorder {
  const lines: string[] = [];
  const waiters: { line: string; from: number; resolve: (index: number) => void }[] = [];
  engine.trace$.subscribe((entry) => {
    lines.push(entry.line);
    const index = lines.length - 1;
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i]!;
      if (waiter.line === entry.line && index >= waiter.from) {
        waiters.splice(i, 1);
        waiter.resolve(index);
      }
    }
  });
  return {
    lines,
    waitFor(line, from = 0) {
      const found = lines.indexOf(line, from);
      if (found >= 0) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ line, from, resolve }));
    },
    indexOfBlock(block) {
      outer: for (let i = 0; i + block.length <= lines.length; i++) {
        for (let j = 0; j < block.length; j++) if (lines[i + j] !== block[j]) continue outer;
        return i;
      }
      return -1;
    },
  };
}
