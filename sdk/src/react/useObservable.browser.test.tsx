// useObservable in a real React 19 root in Chromium: values render, updates re-render,
// StrictMode's double mount and unmount leave no subscription behind.
import { act, Component, startTransition, StrictMode, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countedSubject } from './test-support/countedSubject.js';
import { useObservable } from './useObservable.js';

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

function Show({ source, initial }: { source: Observable<string>; initial?: string }) {
  const value = initial === undefined ? useObservable(source) : useObservable(source, initial);
  return <span>{value ?? '(nothing yet)'}</span>;
}

describe('useObservable', () => {
  it('shows the initial value, then each emission', () => {
    const counted = countedSubject<string>();
    act(() => root.render(<Show source={counted.source} initial="waiting" />));
    expect(container.textContent).toBe('waiting');
    act(() => counted.subject.next('hello'));
    expect(container.textContent).toBe('hello');
    act(() => counted.subject.next('world'));
    expect(container.textContent).toBe('world');
  });

  it('returns undefined without an initial value until the source emits', () => {
    const counted = countedSubject<string>();
    act(() => root.render(<Show source={counted.source} />));
    expect(container.textContent).toBe('(nothing yet)');
    act(() => counted.subject.next('first'));
    expect(container.textContent).toBe('first');
  });

  it("renders a BehaviorSubject's current value on the first render", () => {
    const subject = new BehaviorSubject('current');
    const renders: string[] = [];
    function Probe() {
      const value = useObservable(subject, 'initial');
      renders.push(value);
      return <span>{value}</span>;
    }
    act(() => root.render(<Probe />));
    expect(renders[0]).toBe('current');
    expect(container.textContent).toBe('current');
  });

  it('unsubscribes on unmount', () => {
    const counted = countedSubject<string>({ value: 'a' });
    act(() => root.render(<Show source={counted.source} initial="" />));
    expect(counted.active()).toBe(1);
    act(() => root.render(<p>gone</p>));
    expect(counted.active()).toBe(0);
    act(() => counted.subject.next('after unmount'));
    expect(container.textContent).toBe('gone');
  });

  it('keeps exactly one live subscription under StrictMode double mounting', () => {
    const counted = countedSubject<string>({ value: 'strict' });
    act(() =>
      root.render(
        <StrictMode>
          <Show source={counted.source} initial="" />
        </StrictMode>,
      ),
    );
    expect(counted.opened()).toBeGreaterThanOrEqual(2); // StrictMode really did mount twice
    expect(counted.active()).toBe(1);
    expect(container.textContent).toBe('strict');
    act(() => counted.subject.next('still live'));
    expect(container.textContent).toBe('still live');
    act(() => root.unmount());
    expect(counted.active()).toBe(0);
    root = createRoot(container); // afterEach unmounts again
  });

  it('moves its subscription when the observable changes', () => {
    const first = countedSubject<string>({ value: 'one' });
    const second = countedSubject<string>({ value: 'two' });
    act(() => root.render(<Show source={first.source} initial="" />));
    expect(container.textContent).toBe('one');
    act(() => root.render(<Show source={second.source} initial="" />));
    expect(container.textContent).toBe('two');
    expect(first.active()).toBe(0);
    expect(second.active()).toBe(1);
    act(() => first.subject.next('stale'));
    expect(container.textContent).toBe('two');
  });

  it('shares nothing between two components on the same source', () => {
    const counted = countedSubject<string>({ value: 'x' });
    act(() =>
      root.render(
        <>
          <Show source={counted.source} initial="" />
          <Show source={counted.source} initial="" />
        </>,
      ),
    );
    expect(counted.active()).toBe(2);
    act(() => counted.subject.next('y'));
    expect(container.textContent).toBe('yy');
  });

  it('never commits a torn screen when the source emits between time slices of a concurrent render', async () => {
    // The classic tearing check: a transition renders a slow tree in time slices (no act(), so React
    // really yields to the browser), the source emits between two slices, and every commit must show
    // one value everywhere. useSyncExternalStore notices the change and re-renders before committing.
    const globals = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    globals.IS_REACT_ACT_ENVIRONMENT = false;
    try {
      const subject = new BehaviorSubject(0);
      // React commits synchronously, so a mutation observer (a microtask) sees each whole commit.
      const commits: string[] = [];
      const observer = new MutationObserver(() => commits.push(container.textContent ?? ''));
      observer.observe(container, { subtree: true, childList: true, characterData: true, attributes: true });
      function Cell({ round }: { round: number }) {
        const value = useObservable(subject);
        const until = performance.now() + 2;
        while (performance.now() < until) {
          // slow render: React yields between cells (every ~5 ms)
        }
        return <i data-round={round}>{value}</i>;
      }
      const grid = (round: number) => (
        <>
          {Array.from({ length: 40 }, (_, index) => (
            <Cell key={index} round={round} />
          ))}
        </>
      );
      const settled = (done: () => boolean) =>
        new Promise<void>((resolve) => {
          const check = () => (done() ? resolve() : setTimeout(check, 5));
          check();
        });
      root.render(grid(0));
      await settled(() => container.textContent === '0'.repeat(40));
      commits.length = 0;
      startTransition(() => root.render(grid(1)));
      setTimeout(() => subject.next(1), 15); // lands while the transition is half rendered
      await settled(() => container.textContent === '1'.repeat(40) && container.querySelectorAll('[data-round="1"]').length === 40);
      await new Promise((resolve) => setTimeout(resolve, 0));
      observer.disconnect();
      expect(commits.length).toBeGreaterThan(0);
      for (const screen of commits) expect(new Set(screen).size, `committed "${screen}"`).toBe(1);
    } finally {
      globals.IS_REACT_ACT_ENVIRONMENT = true;
    }
  });

  it("throws the source's error into the nearest error boundary", () => {
    class Boundary extends Component<{ children: ReactNode }, { message?: string }> {
      override state: { message?: string } = {};
      static getDerivedStateFromError(error: unknown) {
        return { message: error instanceof Error ? error.message : String(error) };
      }
      override render() {
        return this.state.message ? <b>failed: {this.state.message}</b> : this.props.children;
      }
    }
    const subject = new Subject<string>();
    const originalError = console.error;
    console.error = () => {}; // React logs caught render errors; the assertion below is the check
    try {
      act(() =>
        root.render(
          <Boundary>
            <Show source={subject} initial="ok" />
          </Boundary>,
        ),
      );
      act(() => subject.error(new Error('socket closed')));
    } finally {
      console.error = originalError;
    }
    expect(container.textContent).toBe('failed: socket closed');
    expect(subject.observed).toBe(false);
  });
});
