// The one test for "this result is asynchronous" wherever the SDK takes a value-or-promise from user code
// (scope tasks, session handlers, work-queue handlers): an object with a callable `then`, as the
// Promises/A+ thenable rule has it, so promises from another realm or library count too.

/** Whether `value` is an object with a `then` method (a promise or a thenable). */
export function isPromiseLike<V>(value: unknown): value is PromiseLike<V> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
