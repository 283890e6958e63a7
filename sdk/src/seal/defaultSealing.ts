// The sealing used when a config does not name one. The isomorphic default is jsSealing (the
// fastest pure-JavaScript one, what the browser uses); a Node process should call
// setDefaultSealing(nodeSealing) once (from @stage/sdk/node), several times faster again, or pass
// `sealing` in each config.
import { jsSealing } from './jsSealing.js';
import type { Sealing } from './Sealing.js';

let current: Sealing = jsSealing;

export function defaultSealing(): Sealing {
  return current;
}

/** Makes `sealing` the default for every config that does not name one; returns the previous default. */
export function setDefaultSealing(sealing: Sealing): Sealing {
  const previous = current;
  current = sealing;
  return previous;
}
