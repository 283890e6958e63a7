import { describe, expect, it } from 'vitest';
import { hubUrl, webSocketUrl } from './http.js';

describe('hub URLs', () => {
  it('keep the path prefix of a hub served under a sub-path', () => {
    expect(webSocketUrl('https://example.com/chat/', 't', 'laptop')).toBe('wss://example.com/chat/ws/t/laptop');
    expect(webSocketUrl('https://example.com/chat', 't', 'laptop')).toBe('wss://example.com/chat/ws/t/laptop');
    expect(hubUrl('http://example.com/chat?x=1#y', '/api/login').toString()).toBe('http://example.com/chat/api/login');
  });

  it('map http to ws and https to wss at the root', () => {
    expect(webSocketUrl('http://127.0.0.1:8080', 'a.b', 'd 1')).toBe('ws://127.0.0.1:8080/ws/a.b/d%201');
    expect(hubUrl('https://h', '/api/register').toString()).toBe('https://h/api/register');
  });
});
