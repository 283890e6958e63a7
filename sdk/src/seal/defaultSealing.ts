// The sealing used when a config does not name one. The isomorphic default is @noble/hashes; a
// Node process should call setDefaultSealing(nodeSealing) once (from @stage/sdk/node), which is
// about twice as fast, or pass `sealing` in each config.
import { nobleSealing } from './nobleSealing.js';
import type { Sealing } from './Sealing.js';

let current: Sealing = nobleSealing;

export function defaultSealing(): Sealing {
  return current;
}

/** Makes `sealing` the default for every config that does not name one; returns the previous default. */
export function setDefaultSealing(sealing: Sealing): Sealing {
  const previous = current;
  current = sealing;
  return previous;
}
