// Live updates over WebSocket: a hub of local subscribers per stream and a fastify plugin that
// serves `GET /ws/<stream>/:id/` with the same JWT as REST.
//
// Every instance pushes what it sees itself: `publish` reaches the sockets connected to THIS
// process only, so nothing is sticky and any instance can serve any subscriber, provided each
// instance sees every event that concerns its subscribers. For Kafka that means one consumer
// group PER INSTANCE (see liveConsumerGroupName): a shared group would split the partitions
// between the instances and each would push only a third of the events.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { WebSocket } from 'ws';
import { createTokenVerifier, type AuthUser, type VerifierOptions } from '../auth';
import { DomainError } from '../errors';
import type { Logger } from '../logging';
import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from './metrics';

/** What every pushed frame carries (JSON text). */
export interface LiveMessage<T = unknown> {
  type: string;
  data: T;
  occurred_at: string;
}

export function liveMessage<T>(type: string, data: T, occurredAt: Date | string = new Date()): LiveMessage<T> {
  return { type, data, occurred_at: typeof occurredAt === 'string' ? occurredAt : occurredAt.toISOString() };
}

/** Close codes: 4401/4403 mirror HTTP 401/403 in the 4000-4999 range left to applications. */
export const LiveCloseCode = {
  unauthenticated: 4401,
  forbidden: 4403,
  /** The client read too slowly and its send buffer passed the limit (RFC 6455 1013 "try again later"). */
  tooSlow: 1013,
  goingAway: 1001,
  internalError: 1011,
} as const;

const OPEN = 1;

/** The part of a `ws` WebSocket the hub uses (unit tests fake a slow socket with it). */
export interface LiveSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string, cb?: (err?: Error) => void): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'pong' | 'close', listener: () => void): unknown;
}

export interface LiveHubOptions {
  logger?: Logger;
  /** A ping every interval; a client that has not answered the previous ping is terminated. */
  heartbeatIntervalMs?: number;
  /** A client whose unsent bytes exceed this is dropped instead of buffering without end. */
  maxBufferedBytes?: number;
}

interface Client {
  socket: LiveSocket;
  stream: string;
  key: string;
  alive: boolean;
}

type DropReason = 'missed_pong' | 'too_slow' | 'send_error';
let liveMetrics: { connections: Gauge<'stream'>; sent: Counter<'stream'>; dropped: Counter<'stream' | 'reason'> } | undefined;

/** Process-wide, in the services' registry (created on first use: tests build many hubs). */
function metrics() {
  liveMetrics ??= {
    connections: new Gauge({ name: 'live_connections', help: 'Open live-update WebSockets by stream', labelNames: ['stream'], registers: [metricsRegistry] }),
    sent: new Counter({
      name: 'live_messages_sent_total',
      help: 'Live-update frames queued to clients by stream',
      labelNames: ['stream'],
      registers: [metricsRegistry],
    }),
    dropped: new Counter({
      name: 'live_clients_dropped_total',
      help: 'Live-update clients terminated by the server, by stream and reason (missed_pong, too_slow, send_error)',
      labelNames: ['stream', 'reason'],
      registers: [metricsRegistry],
    }),
  };
  return liveMetrics;
}

const streamKey = (stream: string, id: string) => `${stream}/${id}`;

/**
 * Local subscribers by (stream, id). Sending never waits on a client: `ws` queues the frame and
 * returns, so a slow reader costs memory, not time, and the memory is capped by
 * `maxBufferedBytes` (the slow client is terminated and reconnects). Dead peers are found by the
 * heartbeat, since TCP alone can take minutes to notice a vanished client.
 */
export class LiveHub {
  private readonly byKey = new Map<string, Set<Client>>();
  private readonly clients = new Set<Client>();
  private readonly bySocket = new WeakMap<LiveSocket, Client>();
  private readonly heartbeatIntervalMs: number;
  private readonly maxBufferedBytes: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: LiveHubOptions = {}) {
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 30000;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 1024 * 1024;
  }

  /** Adds a socket to a stream; it leaves on its own when it closes. Returns the unsubscribe. */
  subscribe(stream: string, id: string, socket: LiveSocket): () => void {
    if (this.closed) {
      socket.close(LiveCloseCode.goingAway, 'server shutting down');
      return () => undefined;
    }
    const client: Client = { socket, stream, key: streamKey(stream, id), alive: true };
    metrics().connections.inc({ stream });
    let set = this.byKey.get(client.key);
    if (!set) this.byKey.set(client.key, (set = new Set()));
    set.add(client);
    this.clients.add(client);
    this.bySocket.set(socket, client);
    socket.on('pong', () => {
      client.alive = true;
    });
    const remove = () => this.remove(client);
    socket.on('close', remove);
    this.startHeartbeat();
    return remove;
  }

  /** Sends to this process's subscribers of (stream, id); returns how many were sent to. */
  publish(stream: string, id: string, message: LiveMessage): number {
    const set = this.byKey.get(streamKey(stream, id));
    if (!set || set.size === 0) return 0;
    const frame = JSON.stringify(message);
    let sent = 0;
    for (const client of [...set]) if (this.sendFrame(client, frame)) sent++;
    return sent;
  }

  /** Sends to one socket (e.g. a welcome or the current state right after subscribing). */
  sendTo(socket: LiveSocket, message: LiveMessage): boolean {
    const client = this.bySocket.get(socket);
    if (!client || !this.clients.has(client)) return false;
    return this.sendFrame(client, JSON.stringify(message));
  }

  /** Ids of a stream that have at least one local subscriber (e.g. whom a ticker serves). */
  subscribedIds(stream: string): string[] {
    const prefix = `${stream}/`;
    const ids: string[] = [];
    for (const [key, set] of this.byKey) if (set.size > 0 && key.startsWith(prefix)) ids.push(key.slice(prefix.length));
    return ids;
  }

  subscriberCount(stream?: string, id?: string): number {
    if (stream === undefined) return this.clients.size;
    if (id !== undefined) return this.byKey.get(streamKey(stream, id))?.size ?? 0;
    return this.subscribedIds(stream).reduce((n, i) => n + (this.byKey.get(streamKey(stream, i))?.size ?? 0), 0);
  }

  /** Closes every socket (1001 going away) and stops the heartbeat; later subscribers are refused. */
  close(): void {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const client of [...this.clients]) {
      try {
        client.socket.close(LiveCloseCode.goingAway, 'server shutting down');
      } catch {
        client.socket.terminate();
      }
      this.remove(client);
    }
  }

  /** One heartbeat round (the timer calls it; tests may too). */
  sweep(): void {
    for (const client of [...this.clients]) {
      if (!client.alive) {
        this.opts.logger?.debug({ stream: client.key }, 'live client missed its pong; terminating');
        this.drop(client, 'missed_pong');
        continue;
      }
      client.alive = false;
      try {
        client.socket.ping();
      } catch {
        this.drop(client, 'send_error');
      }
    }
  }

  private sendFrame(client: Client, frame: string): boolean {
    const { socket } = client;
    if (socket.readyState !== OPEN) {
      this.remove(client);
      return false;
    }
    if (socket.bufferedAmount + frame.length > this.maxBufferedBytes) {
      this.opts.logger?.warn({ stream: client.key, buffered: socket.bufferedAmount }, 'live client too slow; dropping it');
      this.drop(client, 'too_slow');
      return false;
    }
    socket.send(frame, (err) => {
      if (err) this.drop(client, 'send_error');
    });
    metrics().sent.inc({ stream: client.stream });
    return true;
  }

  /** Terminate, not close: a close frame would queue behind the bytes the client is not reading. */
  private drop(client: Client, reason: DropReason): void {
    if (this.clients.has(client)) metrics().dropped.inc({ stream: client.stream, reason });
    this.remove(client);
    try {
      client.socket.terminate();
    } catch {
      // already gone
    }
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    metrics().connections.dec({ stream: client.stream });
    const set = this.byKey.get(client.key);
    set?.delete(client);
    if (set && set.size === 0) this.byKey.delete(client.key);
    if (this.clients.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => this.sweep(), this.heartbeatIntervalMs);
    this.heartbeat.unref();
  }
}

/** One live stream: `GET /ws/<name>/:id/`, or at its own `path`. */
export interface LiveStream {
  name: string;
  /** Where it is served, with `:id` for the watched id (e.g. `/ws/stores/:id/orders/`); default `/ws/<name>/:id/`. */
  path?: string;
  /** May the user watch this id? false → closed with 4403. A throw → closed with 1011 (logged). */
  authorize: (user: AuthUser, id: string) => boolean | Promise<boolean>;
  /** After the subscription is in place (e.g. send the current state). A throw is logged. */
  onSubscribe?: (ctx: { id: string; user: AuthUser; socket: LiveSocket; hub: LiveHub }) => void | Promise<void>;
}

export interface LiveUpdatesPluginOptions {
  hub: LiveHub;
  auth: VerifierOptions;
  streams: LiveStream[];
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const PROTOCOL_PREFIX = 'bearer.';

/**
 * A browser cannot set headers on a WebSocket but can offer subprotocols: `bearer.<jwt>` carries
 * the token without putting it in the URL (and so in access logs). ws answers with the first
 * offered protocol, which is what a browser requires back.
 */
function protocolToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  for (const p of header.split(',')) {
    const offered = p.trim();
    if (offered.startsWith(PROTOCOL_PREFIX) && offered.length > PROTOCOL_PREFIX.length) return offered.slice(PROTOCOL_PREFIX.length);
  }
  return undefined;
}
const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
const Query = Type.Object({ token: Type.Optional(Type.String({ maxLength: 4096 })) });

async function liveUpdatesImpl(app: FastifyInstance, opts: LiveUpdatesPluginOptions): Promise<void> {
  const { hub } = opts;
  const verify = createTokenVerifier(opts.auth);
  // Runs before @fastify/websocket's own preClose (hooks run in order), so clients get 1001.
  app.addHook('preClose', async () => hub.close());
  if (!app.hasDecorator('websocketServer')) {
    // Clients only listen: a small inbound frame limit keeps a hostile client cheap.
    await app.register(websocket, { options: { maxPayload: 4096 } });
    closeUnansweredUpgrades(app);
  }
  const config = app.initialConfig as { ignoreTrailingSlash?: boolean; routerOptions?: { ignoreTrailingSlash?: boolean } };
  const bothSlashes = config.routerOptions?.ignoreTrailingSlash === true || config.ignoreTrailingSlash === true;

  for (const stream of opts.streams) {
    const handler = async (socket: WebSocket, request: FastifyRequest<{ Params: { id: string }; Querystring: { token?: string } }>) => {
      const { id } = request.params;
      const header = request.headers.authorization;
      const token =
        (typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined) ?? protocolToken(request.headers['sec-websocket-protocol']) ?? request.query.token;
      let user: AuthUser;
      try {
        if (!token) throw new Error('no token');
        user = await verify(token);
      } catch (err) {
        // The issuer's keys out of reach is not the client's fault: no 4401 that would send it to log in again.
        if (err instanceof DomainError && err.kind === 'unavailable') socket.close(LiveCloseCode.internalError, 'try again later');
        else socket.close(LiveCloseCode.unauthenticated, 'unauthenticated');
        return;
      }
      let allowed: boolean;
      try {
        allowed = await stream.authorize(user, id);
      } catch (err) {
        request.log.error({ err, stream: stream.name }, 'live stream authorization failed');
        socket.close(LiveCloseCode.internalError, 'internal error');
        return;
      }
      if (!allowed) {
        socket.close(LiveCloseCode.forbidden, 'forbidden');
        return;
      }
      if (socket.readyState !== OPEN) return; // left while we were checking
      // Clients have nothing to say; reading keeps the socket flowing and frames are ignored.
      socket.on('message', () => undefined);
      hub.subscribe(stream.name, id, socket);
      hub.sendTo(socket, liveMessage('subscribed', { stream: stream.name, id }));
      try {
        await stream.onSubscribe?.({ id, user, socket, hub });
      } catch (err) {
        request.log.error({ err, stream: stream.name }, 'live stream onSubscribe failed');
      }
    };
    const path = stream.path ?? `/ws/${stream.name}/:id/`;
    const paths = bothSlashes ? [path] : [path, path.replace(/\/$/, '')];
    for (const url of paths) {
      app.route<{ Params: { id: string }; Querystring: { token?: string } }>({
        method: 'GET',
        url,
        schema: { params: Params, querystring: Query, hide: true },
        wsHandler: handler,
        // A plain HTTP GET (no Upgrade) gets the services' JSON error shape, not an empty 404.
        handler: async (_request, reply) =>
          reply
            .code(426)
            .header('upgrade', 'websocket')
            .send({ error: { code: 'UPGRADE_REQUIRED', message: 'this path serves WebSocket connections only' } }),
      });
    }
  }
}

/**
 * An upgrade request that fastify answers before routing (414 for a path parameter over
 * maxParamLength, 400 for a malformed URL) skips the hooks that @fastify/websocket uses to
 * destroy the socket; node stops watching an upgrade socket, and the server keeps it half-open
 * after the client leaves: a leaked descriptor and an `app.close()` that never resolves.
 * Destroy such a socket when its client ends it, unless it became a WebSocket.
 */
function closeUnansweredUpgrades(app: FastifyInstance): void {
  const upgraded = new WeakSet<object>();
  app.websocketServer.on('connection', (_ws: WebSocket, request: { socket: object }) => upgraded.add(request.socket));
  app.server.on('upgrade', (_req, socket: Duplex) => {
    socket.once('end', () => {
      if (!upgraded.has(socket)) socket.destroy();
    });
  });
}

/** Serves the streams' WebSocket routes; see the README ("live updates"). */
export const liveUpdatesPlugin = fp(liveUpdatesImpl, { name: 'sudamall-live-updates', fastify: '5.x' });

/**
 * A consumer group of this instance alone (prefix like the topics, then a random instance id):
 * every instance must see every event to push it to its own subscribers. Subscribe with
 * `fromBeginning: false` (a live view has no past to replay) and without an inbox.
 */
export function liveConsumerGroupName(prefix: string, service: string, instanceId = randomBytes(6).toString('hex')): string {
  return `${prefix}${service}-live-${instanceId}`;
}
