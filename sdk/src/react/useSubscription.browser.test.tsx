// useSubscription in a real React root: side effects per value with the latest callback, one live
// subscription under StrictMode, none after unmount.
import { act, StrictMode, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countedSubject } from './test-support/countedSubject.js';
import { useSubscription } from './useSubscription.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;
beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe('useSubscription', () => {
  it('calls the latest callback for each value without resubscribing', () => {
    const counted = countedSubject<number>();
    const seen: string[] = [];
    let setPrefix: (prefix: string) => void = () => {};
    function Logger() {
      const [prefix, set] = useState('a');
      setPrefix = set;
      useSubscription(counted.source, (value) => seen.push(`${prefix}${value}`));
      return null;
    }
    act(() => root.render(<Logger />));
    act(() => counted.subject.next(1));
    act(() => setPrefix('b'));
    act(() => counted.subject.next(2));
    expect(seen).toEqual(['a1', 'b2']);
    expect(counted.opened()).toBe(1);
  });

  it('keeps one subscription under StrictMode and none after unmount', () => {
    const counted = countedSubject<number>();
    const seen: number[] = [];
    function Logger() {
      useSubscription(counted.source, { next: (value) => seen.push(value) });
      return null;
    }
    act(() =>
      root.render(
        <StrictMode>
          <Logger />
        </StrictMode>,
      ),
    );
    expect(counted.active()).toBe(1);
    act(() => counted.subject.next(7));
    expect(seen).toEqual([7]);
    act(() => root.render(<></>));
    expect(counted.active()).toBe(0);
  });
});
