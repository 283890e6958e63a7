// useObservable (Vue) in a real Vue 3 app in Chromium: renders values, follows a reactive
// source, and unsubscribes when the component unmounts or the effect scope is disposed.
import { BehaviorSubject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, defineComponent, effectScope, h, nextTick, shallowRef, type App } from 'vue';
import { countedSubject } from '../react/test-support/countedSubject.js';
import { useObservable } from './useObservable.js';

let container: HTMLDivElement;
let app: App | undefined;

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
});
afterEach(() => {
  app?.unmount();
  app = undefined;
  container.remove();
});

describe('useObservable (vue)', () => {
  it('renders the initial value, then each emission', async () => {
    const counted = countedSubject<string>();
    app = createApp(
      defineComponent({
        setup() {
          const value = useObservable(counted.source, { initial: 'waiting' });
          return () => h('span', value.value);
        },
      }),
    );
    app.mount(container);
    expect(container.textContent).toBe('waiting');
    counted.subject.next('hello');
    await nextTick();
    expect(container.textContent).toBe('hello');
  });

  it("has a BehaviorSubject's value on the first render", () => {
    const subject = new BehaviorSubject('current');
    app = createApp(
      defineComponent({
        setup() {
          const value = useObservable(subject);
          return () => h('span', value.value);
        },
      }),
    );
    app.mount(container);
    expect(container.textContent).toBe('current');
  });

  it('unsubscribes when the component unmounts', () => {
    const counted = countedSubject<string>({ value: 'a' });
    app = createApp(
      defineComponent({
        setup() {
          const value = useObservable(counted.source);
          return () => h('span', value.value);
        },
      }),
    );
    app.mount(container);
    expect(counted.active()).toBe(1);
    app.unmount();
    app = undefined;
    expect(counted.active()).toBe(0);
  });

  it('follows a reactive source, dropping the old subscription', async () => {
    const first = countedSubject<string>({ value: 'one' });
    const second = countedSubject<string>({ value: 'two' });
    const current = shallowRef(first.source);
    app = createApp(
      defineComponent({
        setup() {
          const value = useObservable(current, { initial: '' });
          return () => h('span', value.value);
        },
      }),
    );
    app.mount(container);
    expect(container.textContent).toBe('one');
    current.value = second.source;
    await nextTick();
    expect(container.textContent).toBe('two');
    expect(first.active()).toBe(0);
    expect(second.active()).toBe(1);
  });

  it('unsubscribes when its effect scope is disposed', () => {
    const counted = countedSubject<number>({ value: 1 });
    const scope = effectScope();
    const value = scope.run(() => useObservable(counted.source, { initial: 0 }));
    expect(value?.value).toBe(1);
    counted.subject.next(2);
    expect(value?.value).toBe(2);
    scope.stop();
    expect(counted.active()).toBe(0);
  });

  it('refuses to run outside a scope, where it could never unsubscribe', () => {
    const counted = countedSubject<number>();
    expect(() => useObservable(counted.source)).toThrow(/outside a component setup or effectScope/);
    expect(counted.opened()).toBe(0);
  });

  it('hands errors to onError and keeps the last value', () => {
    const counted = countedSubject<string>({ value: 'last good' });
    const errors: unknown[] = [];
    const scope = effectScope();
    const value = scope.run(() => useObservable(counted.source, { initial: '', onError: (error) => errors.push(error) }));
    counted.subject.error(new Error('gone'));
    expect(value?.value).toBe('last good');
    expect(errors).toEqual([new Error('gone')]);
    scope.stop();
  });
});
