// The Node event sources machines own: TCP sockets (D0/D1/D2), listening sockets (D0 = can
// accept), signals (S) and file-system watches (F). Level-triggered readiness and clean
// unsubscription are what the machines rely on.
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { ListenerChannel, SocketChannel, signalSource, watchSource } from './index.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function socketPair(): Promise<{ channel: SocketChannel; peer: Socket }> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  const accepted = once(server, 'connection');
  const channel = SocketChannel.connect({ port: (server.address() as { port: number }).port });
  const [peer] = (await accepted) as [Socket];
  cleanup.push(() => peer.destroy(), () => channel.close());
  await firstValueFrom(channel.writable$);
  return { channel, peer };
}

describe('SocketChannel', () => {
  it('announces bytes that arrived before D0 was enabled, and read() takes them all at once', async () => {
    const { channel, peer } = await socketPair();
    let seen = '';
    const readingDone = new Promise<void>((resolve) => {
      // Nobody listens for D0 while the peer writes; each enable must announce what is buffered.
      const poll = (): void => {
        let ready = false;
        channel.readable$.subscribe(() => (ready = true)).unsubscribe();
        if (ready) seen += Buffer.from(channel.read()!).toString();
        if (seen.length >= 7) resolve();
        else setImmediate(poll);
      };
      poll();
    });
    peer.write('one,');
    peer.write('two');
    await readingDone;
    expect(seen).toBe('one,two');
    expect(channel.read()).toBeNull();
  });

  it('reports the hang-up (D2) only after the bytes the peer sent before closing were read', async () => {
    const { channel, peer } = await socketPair();
    peer.end('bye');
    await firstValueFrom(channel.readable$);
    let hungUp = false;
    const subscription = channel.hangup$.subscribe(() => (hungUp = true));
    cleanup.push(() => subscription.unsubscribe());
    expect(hungUp).toBe(false);
    expect(Buffer.from(channel.read()!).toString()).toBe('bye');
    const reason = await firstValueFrom(channel.hangup$);
    expect(reason.message).toMatch(/hung up|closed/);
  });

  it('reports a refused connection on D2 and never says writable', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const channel = SocketChannel.connect({ port });
    cleanup.push(() => channel.close());
    let writable = false;
    const subscription = channel.writable$.subscribe(() => (writable = true));
    cleanup.push(() => subscription.unsubscribe());
    const reason = (await firstValueFrom(channel.hangup$)) as NodeJS.ErrnoException;
    expect(reason.code).toBe('ECONNREFUSED');
    expect(writable).toBe(false);
    expect(channel.write(new Uint8Array([1]))).toBe(false);
  });
});

describe('ListenerChannel', () => {
  it('announces one D0 per pending connection, including those that arrived before it was enabled', async () => {
    const listener = await ListenerChannel.listen();
    cleanup.push(() => listener.close());
    const clients = [connect({ port: listener.port, host: '127.0.0.1' }), connect({ port: listener.port, host: '127.0.0.1' })];
    cleanup.push(() => clients.forEach((c) => c.destroy()));
    await Promise.all(clients.map((c) => once(c, 'connect')));
    // Both are accepted by the kernel; wait until Node has queued both.
    while (true) {
      let announced = 0;
      listener.acceptable$.subscribe(() => announced++).unsubscribe();
      if (announced === 2) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const first = listener.accept();
    const second = listener.accept();
    expect(first).toBeInstanceOf(SocketChannel);
    expect(second).toBeInstanceOf(SocketChannel);
    expect(listener.accept()).toBeNull();
    first!.close();
    second!.close();
  });

  it('refuses connections once closed', async () => {
    const listener = await ListenerChannel.listen();
    const port = listener.port;
    await listener.close();
    const client = connect({ port, host: '127.0.0.1' });
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});

describe('signalSource', () => {
  it('emits on the signal while subscribed and removes its listener on unsubscribe', () => {
    const before = process.listenerCount('SIGUSR2');
    let seen = 0;
    const subscription = signalSource('SIGUSR2').subscribe(() => seen++);
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(seen).toBe(1);
    subscription.unsubscribe();
    expect(process.listenerCount('SIGUSR2')).toBe(before);
  });
});

describe('watchSource', () => {
  it('emits a file-system change (F) for a file created in the watched directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-watch-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const change = firstValueFrom(watchSource(dir));
    writeFileSync(join(dir, 'hello.txt'), 'hi');
    const event = await change;
    expect(event.filename).toBe('hello.txt');
  });
});
