// A store whose outcome log has some methods replaced (tests that watch or hold the hub's outcome reads); every other
// call goes to the real store, bound to it.
import type { OutcomeLog, Store } from '../../src/store/Store.js';

function overriding<T extends object>(target: T, overrides: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(real, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const value = Reflect.get(real, prop, real) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
    },
  });
}

export function withOutcomeLog(store: Store, overrides: Partial<OutcomeLog>): Store {
  return overriding(store, { outcomes: overriding(store.outcomes, overrides) });
}
