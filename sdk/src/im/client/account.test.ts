// The account calls over a fake fetch: what each sends (URL, method, headers, body) and how each answer or failure
// comes back (a token, a typed ImError, a TypeError without fetch).
import { describe, expect, it } from 'vitest';
import { ImError } from '../protocol/errors.js';
import { changePassword, logout, refreshToken } from './account.js';
import { login } from './login.js';
import type { FetchLike } from './postCredentials.js';
import { register } from './register.js';

const token = { token: 'tok.en-1', userId: 'u1', username: 'ada', expiresAt: 1_800_000_000_000 };

interface Call {
  url: string;
  init: Parameters<FetchLike>[1];
}

function fakeFetch(status: number, body: unknown, calls: Call[] = []): FetchLike {
  return (url, init) => {
    calls.push({ url, init });
    return Promise.resolve({ status, json: () => (body instanceof Error ? Promise.reject(body) : Promise.resolve(body)) });
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function expectImError(error: unknown, body: { code: string; message: unknown; path?: unknown }): void {
  expect(error).toBeInstanceOf(ImError);
  const { code, message, path } = error as ImError;
  expect({ code, message, path }).toEqual({ path: undefined, ...body });
}

describe.each([
  ['login', login, '/api/login'],
  ['register', register, '/api/register'],
] as const)('%s', (_name, call, path) => {
  const credentials = { username: 'ada', password: 'correct horse' };

  it('POSTs the credentials as JSON to the path under the base URL and resolves the token', async () => {
    const calls: Call[] = [];
    const signal = new AbortController().signal;
    await expect(call('https://example.com/chat', credentials, { fetch: fakeFetch(200, token, calls), signal })).resolves.toEqual(token);
    expect(calls).toEqual([
      {
        url: `https://example.com/chat${path}`,
        init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials), signal },
      },
    ]);
    expect(Object.keys(calls[0]!.init)).toEqual(['method', 'headers', 'body', 'signal']);
  });

  it('sends no signal field without one', async () => {
    const calls: Call[] = [];
    await call('http://hub/', credentials, { fetch: fakeFetch(201, token, calls) });
    expect(Object.keys(calls[0]!.init)).toEqual(['method', 'headers', 'body']);
  });

  it('refuses invalid credentials before any request, naming the field', async () => {
    const calls: Call[] = [];
    const error = await rejection(call('http://hub/', { username: 'ada', password: 'short' }, { fetch: fakeFetch(200, token, calls) }));
    expectImError(error, { code: 'bad_schema', message: expect.stringMatching(/^password: /), path: ['password'] });
    expect(calls).toEqual([]);
    const extra = await rejection(call('http://hub/', { ...credentials, extra: 1 } as never, { fetch: fakeFetch(200, token) }));
    expect((extra as ImError).code).toBe('bad_schema');
  });

  it('rejects the typed error of an error body, or one made of the status', async () => {
    const body = { error: { code: 'conflict', message: 'name taken' } };
    expectImError(await rejection(call('http://hub/', credentials, { fetch: fakeFetch(409, body) })), body.error);
    expectImError(await rejection(call('http://hub/', credentials, { fetch: fakeFetch(401, new Error('not json')) })), {
      code: 'unauthorized',
      message: `${path} failed with HTTP 401`,
    });
    expectImError(await rejection(call('http://hub/', credentials, { fetch: fakeFetch(502, { nope: true }) })), {
      code: 'internal',
      message: `${path} failed with HTTP 502`,
    });
  });

  it('rejects internal on a 2xx without a token', async () => {
    expectImError(await rejection(call('http://hub/', credentials, { fetch: fakeFetch(200, { token: '' }) })), {
      code: 'internal',
      message: `the hub answered ${path} with an unexpected body`,
    });
  });

  it('throws a TypeError without a fetch', async () => {
    const original = globalThis.fetch;
    try {
      (globalThis as { fetch?: unknown }).fetch = undefined;
      await expect(call('http://hub/', credentials)).rejects.toThrow(new TypeError('No fetch available: pass options.fetch'));
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe('logout, changePassword, refreshToken', () => {
  it('POST with the token as a bearer, a JSON body only when there is one', async () => {
    const calls: Call[] = [];
    await expect(logout('http://hub/base/', 'secret', { fetch: fakeFetch(204, new Error('no body'), calls) })).resolves.toBeUndefined();
    await expect(refreshToken('http://hub/base/', 'secret', { fetch: fakeFetch(200, token, calls) })).resolves.toEqual(token);
    const passwords = { currentPassword: 'old password', newPassword: 'new password' };
    await expect(changePassword('http://hub/base/', 'secret', passwords, { fetch: fakeFetch(200, token, calls) })).resolves.toEqual(token);
    expect(calls).toEqual([
      { url: 'http://hub/base/api/logout', init: { method: 'POST', headers: { authorization: 'Bearer secret' } } },
      { url: 'http://hub/base/api/refresh', init: { method: 'POST', headers: { authorization: 'Bearer secret' } } },
      {
        url: 'http://hub/base/api/password',
        init: { method: 'POST', headers: { authorization: 'Bearer secret', 'content-type': 'application/json' }, body: JSON.stringify(passwords) },
      },
    ]);
    expect(calls.map((c) => Object.keys(c.init.headers))).toEqual([['authorization'], ['authorization'], ['authorization', 'content-type']]);
  });

  it('passes the signal on', async () => {
    const calls: Call[] = [];
    const signal = new AbortController().signal;
    await logout('http://hub/', 'secret', { fetch: fakeFetch(200, {}, calls), signal });
    expect(calls[0]!.init.signal).toBe(signal);
  });

  it('reject typed errors, the status when the body has none, internal on a 2xx without a token', async () => {
    const body = { error: { code: 'rate_limited', message: 'slow down', retryAfterMs: 500 } };
    const limited = await rejection(logout('http://hub/', 'secret', { fetch: fakeFetch(429, body) }));
    expectImError(limited, { code: 'rate_limited', message: 'slow down' });
    expect((limited as ImError).retryAfterMs).toBe(500);
    expectImError(await rejection(refreshToken('http://hub/', 'secret', { fetch: fakeFetch(401, undefined) })), {
      code: 'unauthorized',
      message: '/api/refresh failed with HTTP 401',
    });
    expectImError(await rejection(logout('http://hub/', 'secret', { fetch: fakeFetch(500, null) })), {
      code: 'internal',
      message: '/api/logout failed with HTTP 500',
    });
    expectImError(await rejection(refreshToken('http://hub/', 'secret', { fetch: fakeFetch(200, {}) })), {
      code: 'internal',
      message: 'the hub answered /api/refresh with an unexpected body',
    });
    const passwords = { currentPassword: 'old password', newPassword: 'new password' };
    expectImError(await rejection(changePassword('http://hub/', 'secret', passwords, { fetch: fakeFetch(201, 'ok') })), {
      code: 'internal',
      message: 'the hub answered /api/password with an unexpected body',
    });
  });

  it('changePassword refuses a new password the schema refuses, before any request', async () => {
    const calls: Call[] = [];
    const error = await rejection(changePassword('http://hub/', 'secret', { currentPassword: 'x', newPassword: 'short' }, { fetch: fakeFetch(200, token, calls) }));
    expectImError(error, { code: 'bad_schema', message: expect.stringMatching(/^newPassword: /), path: ['newPassword'] });
    expect(calls).toEqual([]);
  });

  it('throw a TypeError without a fetch', async () => {
    const original = globalThis.fetch;
    try {
      (globalThis as { fetch?: unknown }).fetch = undefined;
      await expect(logout('http://hub/', 'secret')).rejects.toThrow(new TypeError('No fetch available: pass options.fetch'));
    } finally {
      globalThis.fetch = original;
    }
  });
});
