import { describe, expect, it } from 'vitest';
import { hubUrl, webSocketProtocols, webSocketUrl } from './http.js';

describe('hub URLs', () => {
  it('keep the path prefix of a hub served under a sub-path', () => {
    expect(webSocketUrl('https://example.com/chat/', 'laptop')).toBe('wss://example.com/chat/ws/laptop');
    expect(webSocketUrl('https://example.com/chat', 'laptop')).toBe('wss://example.com/chat/ws/laptop');
    expect(hubUrl('http://example.com/chat?x=1#y', '/api/login').toString()).toBe('http://example.com/chat/api/login');
  });

  it('map http to ws and https to wss at the root', () => {
    expect(webSocketUrl('http://127.0.0.1:8080', 'd 1')).toBe('ws://127.0.0.1:8080/ws/d%201');
    expect(webSocketProtocols('a.b')).toEqual(['stage.v1', 'stage.token.a.b']);
    expect(hubUrl('https://h', '/api/register').toString()).toBe('https://h/api/register');
  });
});
