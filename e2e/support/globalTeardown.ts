// Stops whichever hub is running now (the crash test may have replaced the first one) and removes
// its data dir.
import { rmSync } from 'node:fs';
import { hubState, stopHub } from './hubProcess.js';

export default async function globalTeardown(): Promise<void> {
  const state = hubState();
  await stopHub('SIGTERM');
  rmSync(state.dataDir, { recursive: true, force: true });
}
