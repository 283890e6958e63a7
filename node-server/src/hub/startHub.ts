// Starts a hub: config → secret → store → fan-out → registry session, command runner, sealed sessions →
// HTTP (register, login, static, healthz, metrics, SSE) and the WebSocket upgrade at /ws/:deviceId (token in the subprotocols)
// (token verified BEFORE the upgrade: 401/403). Returns the URL and a graceful close(): stop accepting, drain the
// commands already received, close sockets with 1001, then the sessions and the store.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { HeartbeatFailureDetector, SessionHandler, supervisor } from '@stage/sdk';
import { nodeSealing } from '@stage/sdk/node';
import { MAX_RECALL_ENTRIES, TOKEN_PROTOCOL_PREFIX, WEBSOCKET_PROTOCOL, deviceIdSchema, deviceSession, type Command, type DeviceSessionState } from '@stage/sdk/im';
import { deriveKey } from '../auth/deriveKey.js';
import { ensurePrivateDir, loadSecret } from '../auth/loadSecret.js';
import { LoginLimiter } from '../auth/LoginLimiter.js';
import { TokenSigner } from '../auth/TokenSigner.js';
import { openFanout } from '../fanout/openFanout.js';
import { OutcomeReconciler } from '../fanout/OutcomeReconciler.js';
import { login, passwordChangeSchema, register } from '../http/authRoutes.js';
import { PublishApi } from '../http/publishRoutes.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { readJsonBody } from '../http/readJsonBody.js';
import { clientAddress, isLoopback } from '../http/clientAddress.js';
import { decodePathSegment } from '../http/decodePathSegment.js';
import { securityHeaderLines, setSecurityHeaders } from '../http/securityHeaders.js';
import { HttpError, sendError, sendJson } from '../http/HttpError.js';
import { serveStatic } from '../http/serveStatic.js';
import { serveEvents } from '../http/serveEvents.js';
import { openStore } from '../store/openStore.js';
import type { Store } from '../store/Store.js';
import { AddressSockets } from './AddressSockets.js';
import { AppliedEntries } from './AppliedEntries.js';
import { SessionIds } from './SessionIds.js';
import { CommandRunner } from './CommandRunner.js';
import { ExtensionRegistry } from '../extensions/ExtensionRegistry.js';
import { DeviceConnection, type ConnectionDeps, type DeviceIdentity } from './DeviceConnection.js';
import { defaultCommandWorkers, resolveHubConfig, type HubConfig } from './HubConfig.js';
import { Logger } from './Logger.js';
import { Metrics, hubMetrics } from './Metrics.js';
import { Readiness } from './Readiness.js';
import { Registry } from './Registry.js';
import { sweepRetention } from './sweepRetention.js';
import { BackgroundJobs } from './BackgroundJobs.js';
import { JoinBounds } from './JoinBounds.js';
import { outcomeBoundsOf } from '../store/outcomeBoundsOf.js';
import { useEnglishIssueMessages } from './englishIssueMessages.js';
import { maxLoginLockMs } from './HubLimits.js';
import { UserQuotas } from './UserQuotas.js';

export interface RunningHub {
  /** http://host:port */
  url: string;
  port: number;
  store: Store;
  metrics: Metrics;
  /** Where /metrics is served when `metricsListen` is set (http://host:port/metrics). */
  metricsUrl?: string;
  /** Graceful: drains in-flight commands, closes sockets with 1001, closes the store. Idempotent. */
  close(): Promise<void>;
}

const defaultPublicDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../public');

export async function startHub(config: HubConfig = {}): Promise<RunningHub> {
  useEnglishIssueMessages();
  const resolved = resolveHubConfig(config);
  const log = config.logger ?? new Logger(config.logLevel ?? 'info');
  // The data dir holds the database (password hashes, messages) and the secret: owner-only, tightened if it exists.
  if (!config.databaseUrl && !process.env.STAGE_DATABASE_URL?.startsWith('postgres')) ensurePrivateDir(resolved.dataDir);
  const secret = loadSecret(resolved.dataDir, config.secret ?? process.env.STAGE_SECRET);
  const store = config.store ?? (await openStore({ dataDir: resolved.dataDir, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) }));
  const fanout = config.fanout ?? (await openFanout(config.redisUrl ? { redisUrl: config.redisUrl } : {}));
  const tokens = new TokenSigner({ secret, ...(config.tokenTtlMs ? { ttlMs: config.tokenTtlMs } : {}) });
  const metrics = new Metrics();
  const counters = hubMetrics(metrics);
  const publicDir = config.publicDir ?? defaultPublicDir;
  const readiness = new Readiness({
    store,
    fanout,
    log: log.child({ session: 'readiness' }),
    ...(config.readinessTimeoutMs !== undefined ? { timeoutMs: config.readinessTimeoutMs } : {}),
    ...(config.readinessIntervalMs !== undefined ? { intervalMs: config.readinessIntervalMs } : {}),
  });

  // Joins read outcome bounds twice (the welcome's newest id, then the registry's): one batcher serves both.
  const joinBounds = new JoinBounds((userIds) => outcomeBoundsOf(store.outcomes, userIds));
  const registry = new Registry({ store, limits: resolved.limits, windowStallMs: resolved.windowStallMs, log: log.child({ session: 'registry' }), counters, joinBounds });
  const fanoutSubscription = fanout.entries$.subscribe((entries) => registry.tell({ type: 'Outcome', entries }));
  const reconciler = new OutcomeReconciler({
    store,
    users: () => registry.userIds(),
    deliver: (latest) => registry.tell({ type: 'Refresh', latest }),
    log: log.child({ session: 'reconciler' }),
  });
  if (fanout.reconcileMs !== undefined) reconciler.start(fanout.reconcileMs);
  fanoutSubscription.add(fanout.missed$.subscribe(() => void reconciler.now()));
  const extensions = config.extensions instanceof ExtensionRegistry ? config.extensions : new ExtensionRegistry(config.extensions ?? []);
  if (extensions.names.length > 0) log.info('extensions loaded', { extensions: extensions.names });
  const commandWorkers = resolved.commandWorkers ?? defaultCommandWorkers(store);
  const runner = new CommandRunner({
    extensions,
    store,
    fanout,
    log: log.child({ session: 'commands' }),
    counters,
    workers: commandWorkers,
    maxDeliveries: resolved.maxCommandDeliveries,
    deadlineMs: resolved.commandDeadlineMs,
  });
  // The hub's sessions under one supervisor: the registry session (one task) and the command handlers (a group).
  // Groups are transient: a task that ends because its mailbox closed (shutdown) is not restarted.
  const tree = supervisor({
    name: 'hub',
    strategy: 'one_for_one',
    intensity: { maxRestarts: 20, withinMs: 10_000 },
    children: [
      { id: 'registry', group: registry.task(), config: { size: 1, restart: 'transient', intensity: { maxRestarts: 50, withinMs: 10_000 } } },
      {
        id: 'commands',
        group: runner.task(),
        config: { size: commandWorkers, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 }, backoff: { initialDelayMs: 10, maxDelayMs: 1000 } },
      },
    ],
  });
  tree.done.catch((err: unknown) => log.error('hub supervisor gave up: restart intensity exceeded', { err }));
  const restartsOf = (id: string) => () => {
    try {
      return tree.group(id).stats$.value.restarts;
    } catch {
      return 0; // the group itself is being restarted
    }
  };
  metrics.gauge('stage_command_handler_restarts', 'Command handler tasks restarted after a crash (current group)', restartsOf('commands'));
  metrics.gauge('stage_registry_restarts', 'Registry session restarts after a crash (current group)', restartsOf('registry'));
  const sessions = new SessionHandler<DeviceSessionState, Command>({
    secret: deriveKey(secret, 'session-sealing'),
    definition: deviceSession,
    // node:crypto HMAC: about twice the pure-JS default; the hub only ever runs in Node.
    sealing: nodeSealing,
    failureDetector: new HeartbeatFailureDetector({ timeoutMs: resolved.sessionIdleMs }),
    maxRecall: MAX_RECALL_ENTRIES,
  });
  const applied = new AppliedEntries(nodeSealing, (sessionId) => sessions.keyOf(sessionId));
  const sessionEvents = sessions.events$.subscribe((event) => {
    if (event.type === 'deleted') applied.forget(event.sessionId);
  });
  const connections = new Set<DeviceConnection>();
  metrics.gauge('stage_connections', 'Open device connections', () => connections.size);
  metrics.gauge('stage_sessions_in_memory', 'Sealed device sessions held in memory', () => sessions.size);
  metrics.gauge('stage_outcomes_unacked', 'Outcomes sent and not yet acked', () => registry.unacked);
  metrics.gauge('stage_commands_pending', 'Commands queued or running', () => runner.pending);

  const jobs = new BackgroundJobs();
  jobs.every(
    'retention sweep',
    resolved.retentionSweepMs,
    (signal) => sweepRetention(store, resolved.limits.retainOutcomes, signal),
    (err) => log.error('retention sweep failed', { err }),
  );

  const hubLimits = resolved.hubLimits;
  // Register and login cost an scrypt hash each: a token bucket per client address and a growing lock per username
  // keep guessing slow (see LoginLimiter).
  const limiter = new LoginLimiter({
    perSecond: resolved.authPerSecond,
    burst: resolved.authBurst,
    failuresBeforeLock: hubLimits.loginFailuresBeforeLock,
    lockMs: hubLimits.loginLockMs,
    maxLockMs: maxLoginLockMs,
    entries: hubLimits.limiterEntries,
  });
  const auth = { store, tokens, limiter, openRegistration: resolved.openRegistration, ...(config.scryptCost ? { scryptCost: config.scryptCost } : {}) };
  const publishApi = new PublishApi({ store, runner, extensions, perSecond: resolved.publishPerSecond, burst: resolved.publishBurst });
  const userQuotas = new UserQuotas(hubLimits);
  const sseStreams = new Map<string, number>();
  let closing = false;

  const server = createServer(
    {
      // Counted from the accept: also closes a socket that never sends a byte (408 then close).
      headersTimeout: hubLimits.headersTimeoutMs,
      requestTimeout: hubLimits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, hubLimits.headersTimeoutMs / 4)),
    },
    (req, res) => {
      req.socket.setTimeout(0);
      setSecurityHeaders(res);
      void route(req, res).catch((err: unknown) => {
        if (err instanceof HttpError) return sendError(res, err);
        // The path may carry a ticket (/sse/:ticket): log only its first segment.
        log.error('http handler failed', { err, route: (req.url ?? '/').split('/').slice(0, 2).join('/') });
        if (!res.headersSent) sendError(res, new HttpError(500, 'internal', 'the hub failed on this request'));
        else res.destroy();
      });
    },
  );
  // Behind a proxy every socket comes from the proxy: the per-address socket cap is then the proxy's job.
  const addressSockets = resolved.trustProxy > 0 ? undefined : new AddressSockets(hubLimits.maxSocketsPerAddress);
  server.on('connection', (socket: Socket) => {
    if (addressSockets && !addressSockets.admit(socket)) return;
    // A socket silent from the start is closed after headersTimeoutMs (Node's own headers timeout does not
    // reliably reach a connection that never sent a byte); cleared when a request or upgrade begins.
    socket.setTimeout(hubLimits.headersTimeoutMs);
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && (path === '/api/register' || path === '/api/login')) {
      const wait = limiter.address(clientAddress(req, resolved.trustProxy));
      if (wait > 0) {
        res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
        throw new HttpError(429, 'rate_limited', `too many ${path.slice(5)} attempts from this address; retry in ${Math.ceil(wait)} ms`);
      }
      return path === '/api/register' ? register(auth, req, res) : login(auth, req, res);
    }
    if (req.method === 'POST' && path === '/api/logout') return logout(req, res);
    if (req.method === 'POST' && path === '/api/password') return changePassword(req, res);
    if (req.method === 'POST' && path === '/api/ticket') return ticket(req, res);
    if (req.method === 'POST' && path === '/api/refresh') return refresh(req, res);
    if (path.startsWith('/api/v1/')) return publishApi.handle(req, res, path);
    if (path.startsWith('/api/')) throw new HttpError(404, 'not_found', `no API route ${req.method} ${path}`);
    // Liveness: the process answers. Readiness (and /healthz, its older name): the store and the fan-out answer too.
    if (path === '/livez') return sendJson(res, 200, { ok: true });
    if (path === '/readyz' || path === '/healthz') {
      if (closing) return sendJson(res, 503, { ok: false, closing: true });
      const report = await readiness.check();
      return sendJson(res, report.ready ? 200 : 503, {
        ok: report.ready,
        store: store.kind,
        fanout: fanout.kind,
        checks: { store: report.store, fanout: report.fanout },
        connections: connections.size,
      });
    }
    if (path === '/metrics') {
      if (resolved.metricsListen) throw new HttpError(404, 'not_found', 'metrics are served on the metrics listener (metricsListen), not on this port');
      return serveMetrics(req, res, isLoopback(clientAddress(req, resolved.trustProxy)));
    }
    if (path === '/sse' || path.startsWith('/sse/')) {
      if (req.method !== 'GET') throw new HttpError(405, 'bad_frame', 'SSE streams are GET only');
      // A header (fetch) or a single-use ticket (EventSource); a long-lived token in the URL is refused as invalid.
      const { userId, loginId, tokenIssuedAt } =
        path === '/sse' ? await authenticate(bearer(req)) : await authenticate(decodePathSegment(path.slice('/sse/'.length)), 'ticket');
      const login = sseByLogin.get(loginId) ?? { userId, issuedAt: tokenIssuedAt, streams: new Set<ServerResponse>() };
      sseByLogin.set(loginId, login);
      login.streams.add(res);
      res.once('close', () => {
        login.streams.delete(res);
        if (login.streams.size === 0) sseByLogin.delete(loginId);
      });
      const open = sseStreams.get(userId) ?? 0;
      if (open >= hubLimits.maxSseStreamsPerUser) throw new HttpError(429, 'rate_limited', `at most ${hubLimits.maxSseStreamsPerUser} SSE streams per user`);
      sseStreams.set(userId, open + 1);
      res.once('close', () => {
        const left = (sseStreams.get(userId) ?? 1) - 1;
        if (left <= 0) sseStreams.delete(userId);
        else sseStreams.set(userId, left);
      });
      return serveEvents({ store, fanout, userId, req, res, log, maxBufferedBytes: hubLimits.maxSseBufferedBytes });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'bad_frame', `${req.method} not allowed here`);
    serveStatic(publicDir, req, res);
  }

  /**
   * The user and login of a valid token: signed by this hub's secret, not expired, its login not signed out and not
   * issued before a password change, its account still there; HttpError 401 / 403 otherwise.
   */
  async function authenticate(token: string, kind: 'token' | 'ticket' = 'token'): Promise<AuthenticatedToken> {
    const check = tokens.verify(token, kind);
    if (!check.ok) {
      if (kind === 'ticket') throw new HttpError(401, 'unauthorized', check.reason === 'expired' ? 'ticket expired: get a new one (POST /api/ticket)' : 'invalid ticket: get one with POST /api/ticket');
      throw new HttpError(401, 'unauthorized', check.reason === 'expired' ? 'token expired: log in again' : 'invalid token: log in again');
    }
    if (check.claims.ticketId !== undefined && !usedTickets.take(check.claims.ticketId, check.claims.expiresAt)) {
      throw new HttpError(401, 'unauthorized', 'this ticket was used already: get a new one (POST /api/ticket)');
    }
    const { userId, loginId, issuedAt, expiresAt } = check.claims;
    const user = await store.userById(userId);
    if (!user) throw new HttpError(403, 'forbidden', 'the account of this token no longer exists');
    if (user.deactivatedAt != null) throw new HttpError(403, 'forbidden', "this account is deactivated: ask the hub's operator");
    if ((await store.revokedAmong([{ loginId, userId, issuedAt }])).size > 0) {
      throw new HttpError(401, 'unauthorized', 'this token was signed out (a sign-out or a password change): log in again');
    }
    return { userId: user.id, username: user.username, tokenExpiresAt: expiresAt, loginId, tokenIssuedAt: issuedAt, passwordHash: user.passwordHash };
  }

  /** Tickets used on this hub, until they expire (a ticket opens one SSE stream). */
  const usedTickets = {
    used: new Map<string, number>(),
    take(id: string, expiresAt: number): boolean {
      if (this.used.has(id)) return false;
      if (this.used.size >= 10_000) for (const [k, exp] of this.used) if (exp <= Date.now()) this.used.delete(k);
      this.used.set(id, expiresAt);
      return true;
    },
  };

  /** POST /api/refresh: a new token for this login, valid a full lifetime from now (see TokenSigner.refresh). */
  async function refresh(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const given = bearer(req);
    const user = await authenticate(given);
    const check = tokens.verify(given);
    if (!check.ok) throw new HttpError(401, 'unauthorized', 'invalid or expired token: log in again');
    const fresh = tokens.refresh(check.claims);
    sendJson(res, 200, { token: fresh.token, userId: user.userId, username: user.username, expiresAt: fresh.expiresAt });
  }

  /** POST /api/ticket: a single-use, 60-second credential for `GET /sse/:ticket` (EventSource sends no header). */
  async function ticket(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const check = tokens.verify(bearer(req));
    if (!check.ok) throw new HttpError(401, 'unauthorized', 'invalid or expired token: log in again');
    await authenticate(bearer(req));
    sendJson(res, 200, tokens.ticket(check.claims));
  }

  /** The token of `Authorization: Bearer <token>` (never a URL: the account routes take it in a header only). */
  function bearer(req: IncomingMessage): string {
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(req.headers.authorization ?? '');
    if (!match) throw new HttpError(401, 'unauthorized', 'send the token as Authorization: Bearer <token>');
    return match[1]!;
  }

  /** Open SSE streams by login (WebSockets are in `connections`), so a sign-out here closes them at once. */
  const sseByLogin = new Map<string, { userId: string; issuedAt: number; streams: Set<ServerResponse> }>();
  function closeLogins(revoked: (c: { loginId: string; userId: string }) => boolean, reason: string): number {
    let closedCount = 0;
    for (const c of connections) {
      const { loginId, userId } = c.identity;
      if (loginId !== undefined && revoked({ loginId, userId })) {
        c.revoke(reason);
        closedCount++;
      }
    }
    for (const [loginId, { userId, streams }] of sseByLogin) {
      if (!revoked({ loginId, userId })) continue;
      for (const res of streams) res.end();
      closedCount += streams.size;
    }
    return closedCount;
  }

  /** POST /api/logout: signs this token's login out (other devices stay signed in); closes its sockets (4001). */
  async function logout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { userId, loginId, tokenExpiresAt } = await authenticate(bearer(req));
    await store.revokeLogin(loginId, userId, tokenExpiresAt);
    const closedCount = closeLogins((c) => c.loginId === loginId, 'signed out');
    log.info('signed out', { userId, closed: closedCount });
    sendJson(res, 200, { ok: true });
  }

  /**
   * POST /api/password `{ currentPassword, newPassword }`: a new password; every token issued before it is refused
   * from now on (every device signs in again) and the caller gets a new token for this device.
   */
  async function changePassword(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const user = await authenticate(bearer(req));
    const parsed = passwordChangeSchema.safeParse(await readJsonBody(req));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, 'bad_schema', issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'bad body');
    }
    const locked = limiter.lockedFor(user.username);
    if (locked > 0) {
      res.setHeader('retry-after', String(Math.ceil(locked / 1000)));
      throw new HttpError(429, 'rate_limited', `too many failed attempts for this username; retry in ${Math.ceil(locked)} ms`);
    }
    if (!(await verifyPassword(parsed.data.currentPassword, user.passwordHash))) {
      limiter.failed(user.username);
      throw new HttpError(403, 'forbidden', 'the current password is wrong');
    }
    limiter.succeeded(user.username);
    const changedAt = Date.now();
    await store.setPassword(user.userId, await hashPassword(parsed.data.newPassword, config.scryptCost), changedAt);
    const closedCount = closeLogins((c) => c.userId === user.userId, 'password changed: log in again');
    const fresh = tokens.sign(user.userId);
    log.info('password changed; every earlier token refused', { userId: user.userId, closed: closedCount });
    sendJson(res, 200, { token: fresh.token, userId: user.userId, username: user.username, expiresAt: fresh.expiresAt });
  }

  // Sign-outs and password changes taken by other hubs reach this hub's open connections within revocationCheckMs.
  // A store no other process writes (SQLite) needs no check: every revocation came through this hub, which closed
  // the connections then. (The check reads every open login: 17 ms of event loop per check for 5,000 on SQLite.)
  if (!store.singleWriter) {
    jobs.every(
      'revocation check',
      hubLimits.revocationCheckMs,
      async () => {
        const open = [...connections].flatMap((c) => {
          const { loginId, userId, tokenIssuedAt } = c.identity;
          return loginId !== undefined && tokenIssuedAt !== undefined ? [{ loginId, userId, issuedAt: tokenIssuedAt }] : [];
        });
        const sse = [...sseByLogin.entries()].map(([loginId, { userId, issuedAt }]) => ({ loginId, userId, issuedAt }));
        if (open.length + sse.length === 0) return;
        const revoked = await store.revokedAmong([...open, ...sse]);
        if (revoked.size > 0) log.info('signed-out logins found; closing their connections', { closed: closeLogins((c) => revoked.has(c.loginId), 'signed out') });
      },
      (err) => log.warn('revocation check failed', { err }),
    );
  }

  // autoPong off: a peer's ping is answered by its writer, counted and bounded like any frame (DeviceConnection).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: resolved.limits.maxFrameBytes,
    autoPong: false,
    // The client offers stage.v1 and stage.token.<token>; the hub answers stage.v1 (never echoing the token).
    handleProtocols: (offered) => (offered.has(WEBSOCKET_PROTOCOL) ? WEBSOCKET_PROTOCOL : false),
  });

  /** The token a WebSocket client offered as the subprotocol `stage.token.<token>` next to `stage.v1`. */
  function offeredToken(req: IncomingMessage): string {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const token = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
    if (!offered.includes(WEBSOCKET_PROTOCOL) || !token) {
      throw new HttpError(401, 'unauthorized', `offer the subprotocols ${WEBSOCKET_PROTOCOL} and ${TOKEN_PROTOCOL_PREFIX}<token> (Sec-WebSocket-Protocol)`);
    }
    return token;
  }

  function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
    const body = JSON.stringify({ error: { code, message } });
    const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status] ?? 'Error';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n${securityHeaderLines}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  // One deps object for every connection, and connections opened outside the upgrade handler: a closure made
  // inside it would keep the upgrade request (headers and all) alive for the life of the connection.
  const connectionDeps: ConnectionDeps = {
    store,
    registry,
    joinBounds,
    sessions,
    sessionIds: new SessionIds(secret),
    applied,
    runner,
    limits: resolved.limits,
    hubLimits,
    userCommands: (userId) => userQuotas.commands(userId),
    log,
    counters,
    recallTimeoutMs: 30_000,
    onRecall: (sessionId, { userId, deviceId }) => {
      counters.recalls.inc();
      log.info('sealed session recalled', { userId, deviceId, sessionId });
    },
  };
  function openConnection(ws: WebSocket, identity: DeviceIdentity, socket: Duplex): void {
    const connection = new DeviceConnection(ws, identity, connectionDeps, socket);
    connections.add(connection);
    ws.once('close', () => connections.delete(connection));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    (socket as Socket).setTimeout(0);
    socket.on('error', destroyOnError);
    void (async () => {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (/^\/ws\/[^/]+\/[^/]+$/.test(pathname)) {
        return rejectUpgrade(socket, 401, 'unauthorized', `a token in the URL is refused (URLs are logged): connect to /ws/:deviceId offering the subprotocols ${WEBSOCKET_PROTOCOL} and ${TOKEN_PROTOCOL_PREFIX}<token>`);
      }
      const match = /^\/ws\/([^/]+)$/.exec(pathname);
      if (!match) return rejectUpgrade(socket, 404, 'not_found', 'WebSocket endpoint is /ws/:deviceId');
      if (closing) return rejectUpgrade(socket, 503, 'unavailable', 'hub shutting down');
      let deviceId: string;
      let user: AuthenticatedToken;
      try {
        deviceId = decodePathSegment(match[1]!);
        user = await authenticate(offeredToken(req));
      } catch (e) {
        if (e instanceof HttpError) return rejectUpgrade(socket, e.status, e.code, e.message);
        throw e;
      }
      if (!deviceIdSchema.safeParse(deviceId).success) return rejectUpgrade(socket, 400, 'bad_schema', 'deviceId: letters, digits, _ and - only (1-64)');
      if (socket.destroyed) return;
      if (!userQuotas.open(user.userId)) return rejectUpgrade(socket, 429, 'rate_limited', `at most ${hubLimits.maxConnectionsPerUser} connections per user`);
      const userId = user.userId;
      socket.once('close', () => userQuotas.close(userId));
      addressSockets?.authenticated(socket as Socket);
      const { passwordHash: _hash, ...who } = user;
      const identity = { ...who, deviceId };
      wss.handleUpgrade(req, socket, head, (ws) => openConnection(ws, identity, socket));
    })().catch((err: unknown) => {
      log.error('upgrade failed', { err });
      rejectUpgrade(socket, 503, 'internal', 'the hub failed to open the connection');
    });
  });

  /** The Prometheus exposition, to a client the hub's rules allow: the token when set, else `trusted`. */
  async function serveMetrics(req: IncomingMessage, res: ServerResponse, trusted: boolean): Promise<void> {
    const authorization = req.headers.authorization ?? '';
    const allowed = resolved.metricsToken ? authorization === `Bearer ${resolved.metricsToken}` : trusted;
    if (!allowed) throw new HttpError(403, 'forbidden', resolved.metricsToken ? 'metrics need Authorization: Bearer <metricsToken>' : 'metrics are served to loopback only unless metricsToken or metricsListen is set');
    const { contentType, text } = await metrics.exposition();
    res.writeHead(200, { 'content-type': contentType });
    res.end(text);
  }
  /** The metrics listener answers GET /metrics and nothing else; whoever reaches its address may scrape. */
  function handleMetricsRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    void (async () => {
      if (path !== '/metrics') throw new HttpError(404, 'not_found', 'this listener serves /metrics only');
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'bad_frame', '/metrics is GET only');
      await serveMetrics(req, res, true);
    })().catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err);
      log.error('metrics request failed', { err });
      if (!res.headersSent) sendError(res, new HttpError(500, 'internal', 'metrics failed'));
    });
  }

  // /metrics on a listener of its own when configured: scrapes stay off the public port and its proxy.
  const metricsServer = resolved.metricsListen ? createServer(handleMetricsRequest) : undefined;
  let metricsUrl: string | undefined;
  if (metricsServer && resolved.metricsListen) {
    const { host, port: metricsPort } = parseListen(resolved.metricsListen);
    await new Promise<void>((resolveListen, reject) => {
      metricsServer.once('error', reject);
      metricsServer.listen(metricsPort, host, () => resolveListen());
    });
    const address = metricsServer.address();
    const bound = typeof address === 'object' && address ? address.port : metricsPort;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    metricsUrl = `http://${shownHost}:${bound}/metrics`;
    log.info('metrics listening', { url: metricsUrl });
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : resolved.port;
  const url = `http://${resolved.host === '0.0.0.0' ? '127.0.0.1' : resolved.host}:${port}`;
  log.info('hub listening', { url, dataDir: resolved.dataDir, store: store.kind, fanout: fanout.kind, commandWorkers });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      log.info('hub shutting down', { connections: connections.size, pendingCommands: runner.pending });
      const stopped = new Promise<void>((r) => server.close(() => r()));
      await Promise.all([...connections].map((c) => c.drain()));
      runner.close();
      fanoutSubscription.unsubscribe();
      reconciler.stop();
      registry.close();
      await tree.shutdown();
      registry.dispose();
      sessionEvents.unsubscribe();
      sessions.close();
      // A sweep or check in flight ends before the store closes under it.
      await jobs.stop();
      readiness.close();
      wss.close();
      server.closeAllConnections();
      await stopped;
      if (metricsServer) {
        metricsServer.closeAllConnections();
        await new Promise<void>((r) => metricsServer.close(() => r()));
      }
      if (!config.fanout) await fanout.close();
      if (!config.store) await store.close();
      log.info('hub stopped');
    })());

  if (config.handleSignals) {
    // `on`, not `once`: with no listener left, a second SIGTERM (a supervisor repeating itself, a user pressing
    // Ctrl-C twice) would kill the process with the drain half done. Every signal after the first is logged and the
    // drain goes on; commands are bounded by their deadline, so it ends.
    let exiting = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (exiting) return log.info('signal received during shutdown: still draining', { signal });
      exiting = true;
      log.info('signal received', { signal });
      void close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error('shutdown failed', { err });
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  return { url, port, store, metrics, ...(metricsUrl ? { metricsUrl } : {}), close };
}

/** What a valid token names (see authenticate). */
interface AuthenticatedToken {
  userId: string;
  username: string;
  tokenExpiresAt: number;
  loginId: string;
  tokenIssuedAt: number;
  passwordHash: string;
}

/** `host:port` or `[v6]:port` (checked by the settings schema) as listen arguments. */
function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!match) throw new Error(`metricsListen: expected host:port, got ${JSON.stringify(text)}`);
  return { host: match[1] ?? match[2]!, port: Number(match[3]) };
}

/** A socket 'error' listener that closes over nothing (it stays on the socket for the connection's life). */
function destroyOnError(this: Duplex): void {
  this.destroy();
}
