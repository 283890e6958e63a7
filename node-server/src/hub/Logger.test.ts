// The log line an operator greps when something broke: one JSON line per event, with everything an error carries,
// whatever the fields hold.
import { describe, expect, it } from 'vitest';
import { Logger } from './Logger.js';

function capture(level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  return { lines, log: new Logger(level, (line) => lines.push(line)) };
}

describe('Logger', () => {
  it("keeps an error's code, cause chain and extra fields", () => {
    const { lines, log } = capture();
    const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', port: 5432 });
    log.error('hub failed to start', { err: new Error('PostgreSQL is unavailable', { cause: root }) });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as { err: Record<string, unknown> & { cause: Record<string, unknown> } };
    expect(entry).toMatchObject({ level: 'error', msg: 'hub failed to start', err: { name: 'Error', message: 'PostgreSQL is unavailable' } });
    expect(entry.err.cause).toMatchObject({ message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED', errno: -111, syscall: 'connect', port: 5432 });
    expect(entry.err.stack).toMatch(/PostgreSQL is unavailable\n\s+at /);
  });

  it('writes BigInt, circular, nested and binary fields instead of throwing, one line each', () => {
    const { lines, log } = capture();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 20; i++) at = at.next = {};
    expect(() => log.info('odd fields', { big: 12345678901234567890n, loop, deep, bytes: Buffer.alloc(1_000_000), when: new Date(0), ids: new Set([1n]) })).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]!.length).toBeLessThan(2_000);
    expect(JSON.parse(lines[0]!)).toMatchObject({ big: '12345678901234567890', loop: { name: 'loop', self: '[Circular]' }, bytes: '[Buffer 1000000 bytes]', when: '1970-01-01T00:00:00.000Z', ids: ['1'] });
  });

  it('still writes the event when a field cannot be read', () => {
    const { lines, log } = capture();
    const hostile = {
      get secret(): string {
        throw new Error('no');
      },
    };
    log.warn('hostile field', { hostile });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'hostile field', logError: expect.stringContaining('no') });
  });

  it('filters by level and carries child bindings', () => {
    const { lines, log } = capture();
    log.debug('hidden');
    log.child({ session: 'registry' }).info('shown', { n: 1 });
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([expect.objectContaining({ msg: 'shown', session: 'registry', n: 1 })]);
  });
});
