// The Node runner of the conformance kit: replays conformance/vectors, frames.json and conversations/*.json
// against a hub and reports one result per item. The step language is described in conformance/README.md; the
// Python client (conformance/python) implements the same one. Beyond the kit's expectations, every frame the hub
// sends is checked against the published schemas (hub frames, and each reply's data against its command type).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hubFrameSchema, replyDataSchemas, type CommandType } from '@stage/sdk/im';
import type { HubControl } from './HubControl.js';
import { KitDevice, type Frame, type Tamper } from './KitDevice.js';
import { mismatch, substitute, type Json, type Vars } from './match.js';
import { canonicalJson, hubSealingSecret, seal, sessionKey } from './sealing.js';

export interface KitResult {
  kind: 'vectors' | 'frame' | 'conversation';
  name: string;
  ok: boolean;
  error?: string;
}

type Step = { [key: string]: Json };
export interface Conversation {
  name: string;
  description?: string;
  steps: Step[];
}
export interface FrameCase {
  name: string;
  /** "hello": sent as the first frame; "welcome" (default): sent after the welcome. */
  after?: 'hello' | 'welcome';
  frame?: Json;
  text?: string;
  repeat?: Json;
  binary?: boolean;
  seal?: boolean;
  expect: Json;
}

export function loadKit(dir: string) {
  const read = (path: string) => JSON.parse(readFileSync(join(dir, path), 'utf8')) as unknown;
  const conversations = readdirSync(join(dir, 'conversations'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => read(`conversations/${f}`) as Conversation);
  return {
    frames: (read('frames.json') as { cases: FrameCase[] }).cases,
    conversations,
    vectors: read('vectors/protocol-seals.json') as ProtocolVectors,
  };
}

interface ProtocolVectors {
  secretHex: string;
  sessionId: string;
  keyHex: string;
  chain: Array<{ seq: number; command: Json; canonical: string; seal: string }>;
}

class Failure extends Error {}

/** How long expectClose waits: an idle close (4010) may take idleTimeoutMs + heartbeatMs with a hub's defaults. */
const closeWaitMs = 90_000;

function check(actual: unknown, expected: Json, what: string): void {
  const m = mismatch(actual, expected);
  if (m) throw new Failure(`${what}: ${m}`);
}

/** The hub's frames must parse with the published schemas; an ok reply's data with its command type's schema. */
function checkSchema(device: KitDevice, from: number): void {
  for (const frame of device.frames.slice(from)) {
    const parsed = hubFrameSchema.safeParse(frame);
    if (!parsed.success) throw new Failure(`${device.name}: hub frame does not match the schema: ${JSON.stringify(frame)}: ${parsed.error.message}`);
    if (frame.kind === 'reply' && frame.ok === true) {
      const schema = replyDataSchemas[frame.type as CommandType];
      if (!schema) throw new Failure(`${device.name}: reply of unknown type ${String(frame.type)}`);
      const data = schema.safeParse(frame.data);
      if (!data.success) throw new Failure(`${device.name}: ${String(frame.type)} reply data does not match its schema: ${data.error.message}`);
    }
  }
}

export class ConversationRun {
  readonly vars: Vars;
  private readonly devices = new Map<string, KitDevice>();
  private traces = 0;
  private checked = new Map<KitDevice, number>();

  constructor(
    private readonly hub: HubControl,
    readonly run = randomBytes(4).toString('hex'),
  ) {
    this.vars = { run };
  }

  device(name: string): KitDevice {
    let d = this.devices.get(name);
    if (!d) {
      const [, deviceId] = name.split('/');
      if (!deviceId) throw new Failure(`device names are "actor/deviceId", got "${name}"`);
      this.devices.set(name, (d = new KitDevice(name, deviceId)));
    }
    return d;
  }

  private actor(name: string): { userId: string; username: string; token: string; password: string } {
    const a = this.vars[name] as { userId: string; username: string; token: string; password: string } | undefined;
    if (!a) throw new Failure(`actor "${name}" is not registered`);
    return a;
  }

  private async http(method: string, path: string, body: string | undefined): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.hub.url}${path}`, { method, headers: body !== undefined ? { 'content-type': 'application/json' } : {}, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: Json = text;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      // not JSON: compared as text
    }
    return { status: res.status, body: parsed };
  }

  private schemaCheck(device: KitDevice): void {
    const from = this.checked.get(device) ?? 0;
    checkSchema(device, Math.min(from, device.frames.length));
    this.checked.set(device, device.frames.length);
  }

  async step(raw: Step): Promise<void> {
    const step = raw as Record<string, Json>;
    const expect = (step.expect ?? null) as Json;
    if ('register' in step) {
      const name = step.register as string;
      const username = `${name}-${this.run}`;
      const password = 'password-123';
      const res = await this.http('POST', '/api/register', JSON.stringify({ username, password }));
      check(res, { status: 201 }, `register ${name}`);
      const body = res.body as { userId: string; token: string };
      this.vars[name] = { userId: body.userId, username, token: body.token, password };
      return;
    }
    if ('login' in step) {
      const a = this.actor(step.login as string);
      const password = (step.password as string | undefined) ?? a.password;
      const res = await this.http('POST', '/api/login', JSON.stringify({ username: a.username, password }));
      check(res, substitute(expect ?? { status: 200 }, this.vars), `login ${step.login as string}`);
      if (res.status === 200) a.token = (res.body as { token: string }).token;
      return;
    }
    if ('http' in step) {
      const req = substitute(step.http as Json, this.vars) as { method: string; path: string; body?: Json; text?: string };
      const body = req.text ?? (req.body !== undefined ? JSON.stringify(req.body) : undefined);
      check(await this.http(req.method, req.path, body), substitute(expect, this.vars), `http ${req.method} ${req.path}`);
      return;
    }
    if ('restartHub' in step) {
      await this.hub.restart();
      return;
    }
    const deviceName = (step.connect ?? step.send ?? step.burst ?? step.push ?? step.ack ?? step.disconnect ?? step.expectClose ?? step.raw ?? step.received ?? step.quiet) as
      | string
      | undefined;
    if (deviceName === undefined) throw new Failure(`unknown step ${JSON.stringify(step)}`);
    const device = this.device(deviceName);
    const [actorName] = deviceName.split('/');

    if ('connect' in step) {
      if (step.fresh) {
        device.sessionId = undefined;
        device.chain = [];
      }
      if (typeof step.lastOutcomeId === 'number') device.lastOutcomeId = device.acked = step.lastOutcomeId;
      const token = (step.token as string | undefined) ?? this.actor(actorName!).token;
      const deviceId = (step.deviceId as string | undefined) ?? device.deviceId;
      // The token travels in the subprotocols (PROTOCOL.md §1), never in the URL.
      const url = `${this.hub.url.replace(/^http/, 'ws')}/ws/${encodeURIComponent(deviceId)}`;
      const refused = await device.open(url, ['stage.v1', `stage.token.${token}`]);
      const want = substitute(expect ?? { welcome: {} }, this.vars) as { [k: string]: Json };
      if (refused) {
        let body: Json = refused.body;
        try {
          body = JSON.parse(refused.body) as Json;
        } catch {
          // compared as text
        }
        check({ status: refused.status, body }, want, `connect ${deviceName}`);
        return;
      }
      if ('status' in want) throw new Failure(`connect ${deviceName}: expected HTTP ${JSON.stringify(want.status)}, the upgrade succeeded`);
      this.checked.set(device, 0);
      if (step.hello === false) return;
      const hello: Record<string, Json> = { kind: 'hello', protocol: 1, lastOutcomeId: device.lastOutcomeId };
      if (device.sessionId) {
        hello.sessionId = device.sessionId;
        hello.chainLength = device.chain.length;
      }
      for (const [k, v] of Object.entries((substitute((step.hello ?? {}) as Json, this.vars) ?? {}) as Record<string, Json>)) {
        if (v === null) delete hello[k];
        else hello[k] = v;
      }
      device.sendFrame(hello);
      if ('close' in want) {
        const code = await device.until('the close', () => device.closeCode);
        check(code, want.close!, `connect ${deviceName}: close code`);
        return;
      }
      const welcome = await device.until('welcome', () => device.frames.find((f) => f.kind === 'welcome') ?? (device.closeCode !== undefined ? { close: device.closeCode } : undefined));
      check(welcome, { kind: 'welcome', ...(want.welcome as object) }, `connect ${deviceName}: welcome`);
      this.vars[deviceName] = { sessionId: welcome.sessionId!, deviceId, key: welcome.key!, latestOutcomeId: welcome.latestOutcomeId! };
      check(welcome.key, sessionKey(hubSealingSecret(this.hub.secretHex), welcome.sessionId as string), `connect ${deviceName}: welcome.key is the key derived from the hub secret and sessionId`);
      if (want.resync) {
        const resync = await device.until('resync', () => device.frames.find((f) => f.kind === 'resync'));
        check(resync, want.resync, `connect ${deviceName}: resync`);
        device.lastOutcomeId = resync.lastOutcomeId as number;
        device.pushes = [];
        device.ack();
      }
      this.schemaCheck(device);
      return;
    }
    if ('send' in step) {
      const command = substitute(step.command as Json, this.vars) as Frame;
      command.traceId ??= `${this.run}-${++this.traces}`;
      // A client resends a rate_limited command (same entry: refused ones are not part of the chain) after retryAfterMs.
      let reply = await device.command(command, step.tamper as Tamper | undefined);
      for (let tries = 0; 'kind' in reply && reply.ok === false && (reply.error as Frame).code === 'rate_limited' && tries < 100; tries++) {
        await new Promise((r) => setTimeout(r, ((reply as Frame).error as Frame).retryAfterMs as number));
        reply = await device.command(command, step.tamper as Tamper | undefined);
      }
      const want = substitute(expect ?? { ok: true }, this.vars) as { [k: string]: Json };
      if ('close' in want) {
        // A reply may come first (broken_chain); the close must follow.
        if ('kind' in reply && want.reply) check(reply, want.reply, `send ${deviceName} ${command.type as string}`);
        const code = await device.until('the close', () => device.closeCode);
        check(code, want.close!, `send ${deviceName} ${command.type as string}: close code`);
      } else check(reply, want, `send ${deviceName} ${command.type as string} (${command.traceId as string})`);
      if (step.save) this.vars[step.save as string] = { traceId: command.traceId!, ...(reply as Frame) };
      this.schemaCheck(device);
      return;
    }
    if ('burst' in step) return this.burst(device, step);
    if ('push' in step) {
      const push = await device.until('a push', () => device.pushes.shift());
      const want: Record<string, Json> = { outcome: substitute(step.outcome as Json, this.vars) };
      if (step.outcomeId !== undefined) want.outcomeId = substitute(step.outcomeId, this.vars);
      check(push, want, `push to ${deviceName}`);
      if (step.save) this.vars[step.save as string] = push;
      this.schemaCheck(device);
      return;
    }
    if ('ack' in step) return device.ack();
    if ('disconnect' in step) return device.close();
    if ('quiet' in step) {
      // Sends nothing for idleTimeoutMs + heartbeatMs + 500 ms (the welcome's limits): only the WebSocket
      // library's automatic pongs answer the hub's pings.
      const limits = device.frames.find((f) => f.kind === 'welcome')?.limits as { idleTimeoutMs: number; heartbeatMs: number } | undefined;
      if (!limits) throw new Failure(`quiet: ${deviceName} was not welcomed`);
      await new Promise((r) => setTimeout(r, limits.idleTimeoutMs + limits.heartbeatMs + 500));
      return;
    }
    if ('expectClose' in step) {
      const code = await device.until('the close', () => device.closeCode, closeWaitMs);
      check(code, step.code ?? null, `close of ${deviceName}`);
      return;
    }
    if ('received' in step) {
      const want = substitute(step.frame as Json, this.vars);
      if (!device.frames.some((f) => mismatch(f, want) === undefined)) {
        throw new Failure(`${deviceName}: no frame matching ${JSON.stringify(want)} on this connection; got ${JSON.stringify(device.frames.map((f) => f.kind))}`);
      }
      return;
    }
    if ('raw' in step) return this.raw(device, step);
  }

  private async raw(device: KitDevice, step: Record<string, Json>): Promise<void> {
    const w = this.vars[device.name] as Record<string, Json> | undefined;
    this.vars.self = { sessionId: device.sessionId ?? '', nextSeq: device.chain.length, deviceId: device.deviceId, ...(w ?? {}) };
    let text: string;
    if (typeof step.text === 'string') text = step.text;
    else if (step.repeat) {
      const r = step.repeat as { text: string; count: number; prefix?: string; suffix?: string };
      text = (r.prefix ?? '') + r.text.repeat(r.count) + (r.suffix ?? '');
    } else {
      const frame = substitute(step.frame as Json, this.vars) as Frame;
      if (step.seal) {
        const seq = frame.seq as number;
        frame.seal = seal(device.key!, device.chain[seq - 1]?.seal, seq, frame.command);
      }
      text = JSON.stringify(frame);
    }
    const from = device.frames.length;
    device.sendText(text, step.binary === true);
    const want = substitute(step.expect as Json, this.vars) as Record<string, Json>;
    if ('close' in want) {
      if (want.reply) {
        const reply = await device.until('a reply', () => device.frames.slice(from).find((f) => f.kind === 'reply') ?? (device.closeCode !== undefined ? { close: device.closeCode } : undefined));
        check(reply, { kind: 'reply', ...(want.reply as object) }, `raw on ${device.name}: reply before the close`);
      }
      const code = await device.until('the close', () => device.closeCode);
      check(code, want.close!, `raw on ${device.name}: close code`);
      return;
    }
    const pattern = (want.reply ? { kind: 'reply', ...(want.reply as object) } : want.frame) as Json;
    const frame = await device.until(`a frame matching ${JSON.stringify(pattern)}`, () => {
      const found = device.frames.slice(from).find((f) => mismatch(f, pattern) === undefined);
      if (found) return found;
      if (device.closeCode !== undefined) return { close: device.closeCode } as Frame;
      return undefined;
    });
    check(frame, pattern, `raw on ${device.name}`);
    this.schemaCheck(device);
  }

  /**
   * Pipelines `count` sealed copies of `command` (fresh trace ids) without waiting, counts the first answers
   * (ok vs rate_limited), then does what PROTOCOL.md §5 asks of a client: resends from the first refused entry, in
   * order, each after the previous one's reply, until every command is answered ok exactly once.
   */
  private async burst(device: KitDevice, step: Record<string, Json>): Promise<void> {
    const count = step.count as number;
    const template = substitute(step.command as Json, this.vars) as Frame;
    const commands = Array.from({ length: count }, () => ({ ...template, traceId: `${this.run}-${++this.traces}` }) as Frame);
    const base = device.chain.length;
    const first = await Promise.all(commands.map((c) => device.command(c)));
    const want = (step.expect ?? {}) as { minAccepted?: number; minRateLimited?: number };
    const accepted = first.filter((r) => 'kind' in r && r.ok === true).length;
    const limited = first.filter((r) => 'kind' in r && r.ok === false && (r.error as Frame).code === 'rate_limited');
    if (accepted + limited.length !== count) throw new Failure(`burst: answers other than ok and rate_limited: ${JSON.stringify(first.find((r) => !('kind' in r) || (r.ok === false && (r.error as Frame).code !== 'rate_limited')))}`);
    if (accepted < (want.minAccepted ?? 0)) throw new Failure(`burst: ${accepted} of ${count} accepted at first, expected at least ${want.minAccepted}`);
    if (limited.length < (want.minRateLimited ?? 0)) throw new Failure(`burst: ${limited.length} rate_limited, expected at least ${want.minRateLimited}`);
    for (const r of limited) check(r, { error: { retryAfterMs: '$integer' } }, 'burst: rate_limited carries retryAfterMs');
    // Refused entries are not part of the chain, and the hub refuses every seq after the first refused one.
    const isRefused = (i: number) => 'kind' in first[i]! && first[i]!.ok === false;
    const firstRefused = commands.findIndex((_, i) => isRefused(i));
    if (firstRefused >= 0 && commands.some((_, i) => i > firstRefused && !isRefused(i))) {
      throw new Failure(`burst: the hub accepted a seq after refusing seq ${base + firstRefused}, leaving a hole`);
    }
    if (firstRefused >= 0) device.chain.length = Math.min(device.chain.length, base + firstRefused);
    const refused = commands.filter((_, i) => isRefused(i));
    let rounds = 0;
    for (const command of refused) {
      for (;;) {
        if (++rounds > count * 20) throw new Failure('burst: the hub kept refusing the resends');
        const reply = await device.command(command);
        if ('kind' in reply && reply.ok === true) break;
        check(reply, { kind: 'reply', ok: false, error: { code: 'rate_limited' } }, 'burst: resend');
        await new Promise((r) => setTimeout(r, ((reply as Frame).error as Frame).retryAfterMs as number));
      }
    }
    this.schemaCheck(device);
  }

  async close(): Promise<void> {
    await Promise.all([...this.devices.values()].map((d) => d.close().catch(() => undefined)));
  }
}

export function checkVectors(vectors: ProtocolVectors): KitResult {
  try {
    check(sessionKey(vectors.secretHex, vectors.sessionId), vectors.keyHex as Json, 'session key');
    let prev: string | undefined;
    for (const entry of vectors.chain) {
      check(canonicalJson(entry.command), entry.canonical, `canonical form of seq ${entry.seq}`);
      const s = seal(vectors.keyHex, prev, entry.seq, entry.command);
      check(s, entry.seal, `seal of seq ${entry.seq}`);
      prev = s;
    }
    return { kind: 'vectors', name: 'protocol-seals', ok: true };
  } catch (e) {
    return { kind: 'vectors', name: 'protocol-seals', ok: false, error: (e as Error).message };
  }
}

/** The steps of one frame case: a fresh device, welcomed unless the frame is the first one, then the frame. */
function frameCaseSteps(c: FrameCase, index: number): Step[] {
  const device = `mallory/frame-${index}`;
  const raw: Step = { raw: device, expect: c.expect };
  if (c.frame !== undefined) raw.frame = c.frame;
  if (c.text !== undefined) raw.text = c.text;
  if (c.repeat !== undefined) raw.repeat = c.repeat;
  if (c.binary) raw.binary = true;
  if (c.seal) raw.seal = true;
  return [{ connect: device, ...(c.after === 'hello' ? { hello: false } : {}) }, raw];
}

/** One frame case on a fresh device of `framesRun` (whose user "mallory" is registered by the caller). */
export async function runFrameCase(framesRun: ConversationRun, c: FrameCase, index: number): Promise<KitResult> {
  try {
    for (const s of frameCaseSteps(c, index)) await framesRun.step(s);
    return { kind: 'frame', name: c.name, ok: true };
  } catch (e) {
    return { kind: 'frame', name: c.name, ok: false, error: (e as Error).message };
  } finally {
    await framesRun.device(`mallory/frame-${index}`).close().catch(() => undefined);
  }
}

/** A conversation with its own users (names suffixed with a fresh run id), its devices closed at the end. */
export async function runConversation(hub: HubControl, conversation: Conversation): Promise<KitResult> {
  const run = new ConversationRun(hub);
  let at = 0;
  try {
    for (const [i, s] of conversation.steps.entries()) {
      at = i;
      await run.step(s);
    }
    return { kind: 'conversation', name: conversation.name, ok: true };
  } catch (e) {
    return { kind: 'conversation', name: conversation.name, ok: false, error: `step ${at} ${JSON.stringify(conversation.steps[at])}: ${(e as Error).message}` };
  } finally {
    await run.close();
  }
}

export async function runKit(hub: HubControl, dir: string, log: (line: string) => void = () => undefined): Promise<KitResult[]> {
  const kit = loadKit(dir);
  const results: KitResult[] = [];
  const record = (r: KitResult) => {
    results.push(r);
    log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.kind} ${r.name}${r.error ? `: ${r.error}` : ''}`);
  };
  record(checkVectors(kit.vectors));
  const framesRun = new ConversationRun(hub);
  await framesRun.step({ register: 'mallory' });
  for (const [i, c] of kit.frames.entries()) record(await runFrameCase(framesRun, c, i));
  for (const conversation of kit.conversations) record(await runConversation(hub, conversation));
  return results;
}
