import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { signToken } from '../../src/auth';
import { LiveCloseCode, LiveHub, liveConsumerGroupName, liveMessage, liveUpdatesPlugin, type LiveSocket } from '../../src/http/live-updates';
import { connectLive, type LiveTestClient } from '../../src/live-testing';
import { metricsRegistry } from '../../src/http/metrics';

const SECRET = 'unit-test-secret-0123456789';
const token = (sub: string, role: 'buyer' | 'admin' = 'buyer') => signToken({ sub, role }, { secret: SECRET });

async function startApp(hub: LiveHub, routerOptions: { ignoreTrailingSlash?: boolean } = {}) {
  const app = Fastify({ logger: false, routerOptions });
  await app.register(liveUpdatesPlugin, {
    hub,
    auth: { secret: SECRET },
    streams: [
      { name: 'orders', authorize: (user, id) => user.role === 'admin' || user.id === id },
      {
        name: 'broken',
        authorize: () => {
          throw new Error('database down');
        },
      },
    ],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

const subscribed = (c: LiveTestClient) => c.next((m) => m.type === 'subscribed');

describe('live updates plugin', () => {
  let app: FastifyInstance;
  let base: string;
  let hub: LiveHub;
  const open: LiveTestClient[] = [];
  const connect = async (...args: Parameters<typeof connectLive> extends [string, ...infer R] ? R : never) => {
    const c = await connectLive(base, ...args);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    hub = new LiveHub({ heartbeatIntervalMs: 150 });
    ({ app, base } = await startApp(hub));
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(() => app.close());

  it('subscribes with a bearer header and receives what is published for its id only', async () => {
    const mine = await connect('/ws/orders/u-1/', { token: token('u-1') });
    const other = await connect('/ws/orders/u-2/', { token: token('u-2') });
    await subscribed(mine);
    await subscribed(other);
    expect(hub.publish('orders', 'u-1', liveMessage('order.status_changed', { order_id: 'o-1', to: 'processing' }, '2026-01-01T00:00:00.000Z'))).toBe(1);
    const msg = await mine.next((m) => m.type === 'order.status_changed');
    expect(msg).toEqual({ type: 'order.status_changed', data: { order_id: 'o-1', to: 'processing' }, occurred_at: '2026-01-01T00:00:00.000Z' });
    await new Promise((r) => setTimeout(r, 50));
    expect(other.messages.map((m) => m.type)).toEqual(['subscribed']);
  });

  it('takes the token from ?token= and serves the path without a trailing slash', async () => {
    const c = await connect('/ws/orders/u-3', { queryToken: token('u-3') });
    expect((await subscribed(c)).data).toEqual({ stream: 'orders', id: 'u-3' });
  });

  it('takes the token from a bearer.<jwt> subprotocol and answers with that protocol', async () => {
    const c = await connect('/ws/orders/u-5/', { protocolToken: token('u-5') });
    expect((await subscribed(c)).data).toEqual({ stream: 'orders', id: 'u-5' });
    expect(c.ws.protocol.startsWith('bearer.')).toBe(true);
  });

  it("closes another user's stream with 4403 and lets an admin watch it", async () => {
    const intruder = await connect('/ws/orders/u-1/', { token: token('u-9') });
    expect(await intruder.closed).toEqual({ code: LiveCloseCode.forbidden, reason: 'forbidden' });
    const admin = await connect('/ws/orders/u-1/', { token: token('a-1', 'admin') });
    await subscribed(admin);
  });

  it('closes with 4401 without a token or with a bad one', async () => {
    expect((await (await connect('/ws/orders/u-1/')).closed).code).toBe(LiveCloseCode.unauthenticated);
    const forged = signToken({ sub: 'u-1', role: 'buyer' }, { secret: 'another-secret-0123456789' });
    expect((await (await connect('/ws/orders/u-1/', { token: forged })).closed).code).toBe(LiveCloseCode.unauthenticated);
  });

  it('closes with 1011 when authorization itself fails', async () => {
    expect((await (await connect('/ws/broken/x/', { token: token('u-1') })).closed).code).toBe(LiveCloseCode.internalError);
  });

  it('terminates a client that never answers pings while a live one keeps receiving', async () => {
    const dead = await connect('/ws/orders/u-4/', { token: token('u-4'), autoPong: false });
    const live = await connect('/ws/orders/u-4/', { token: token('u-4') });
    await subscribed(dead);
    await subscribed(live);
    expect((await dead.closed).code).toBe(1006); // terminated: no close frame
    expect(hub.subscriberCount('orders', 'u-4')).toBe(1);
    hub.publish('orders', 'u-4', liveMessage('ping.test', { n: 1 }));
    await live.next((m) => m.type === 'ping.test');
    expect(live.ws.readyState).toBe(live.ws.OPEN);
  });

  it('answers a plain HTTP GET with 426 UPGRADE_REQUIRED in the JSON error shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/ws/orders/u-1/' });
    expect(res.statusCode).toBe(426);
    expect(res.headers.upgrade).toBe('websocket');
    expect(res.json()).toEqual({ error: { code: 'UPGRADE_REQUIRED', message: 'this path serves WebSocket connections only' } });
  });

  it('refuses an id that is too long before upgrading, and the server still closes', async () => {
    // find-my-way's maxParamLength (100) answers 414 before the route's schema (400) would.
    await expect(connect(`/ws/orders/${'x'.repeat(129)}/`, { token: token('u-1') })).rejects.toThrow(/Unexpected server response: 414/);
    await expect(connect(`/ws/orders/${'x'.repeat(90)}%ZZ/`, { token: token('u-1') })).rejects.toThrow(/Unexpected server response: 400/);
  });
});

describe('live updates plugin without ignoreTrailingSlash', () => {
  it('registers both spellings itself', async () => {
    const hub = new LiveHub();
    const { app, base } = await startApp(hub, { ignoreTrailingSlash: false });
    try {
      for (const path of ['/ws/orders/u-1/', '/ws/orders/u-1']) {
        const c = await connectLive(base, path, { token: token('u-1') });
        await subscribed(c);
        c.close();
      }
    } finally {
      await app.close();
    }
  });

  it('says goodbye with 1001 when the server closes', async () => {
    const hub = new LiveHub();
    const { app, base } = await startApp(hub);
    const c = await connectLive(base, '/ws/orders/u-1/', { token: token('u-1') });
    await subscribed(c);
    await app.close();
    expect((await c.closed).code).toBe(LiveCloseCode.goingAway);
  });
});

class FakeSocket implements LiveSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  terminated = false;
  pings = 0;
  private listeners: Record<string, Array<() => void>> = {};
  send(data: string) {
    this.sent.push(data);
  }
  ping() {
    this.pings++;
  }
  close() {
    this.terminate();
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
    for (const l of this.listeners.close ?? []) l();
  }
  on(event: 'pong' | 'close', listener: () => void) {
    (this.listeners[event] ??= []).push(listener);
  }
  pong() {
    for (const l of this.listeners.pong ?? []) l();
  }
}

describe('LiveHub', () => {
  it('drops a client whose send buffer is over the limit and still serves the others', () => {
    const hub = new LiveHub({ maxBufferedBytes: 1000 });
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    hub.subscribe('cart', 'u-1', slow);
    hub.subscribe('cart', 'u-1', fast);
    slow.bufferedAmount = 990; // the client stopped reading
    expect(hub.publish('cart', 'u-1', liveMessage('cart.updated', { n: 1 }))).toBe(1);
    expect(slow.terminated).toBe(true);
    expect(fast.sent).toHaveLength(1);
    expect(hub.subscriberCount('cart', 'u-1')).toBe(1);
    hub.close();
  });

  it('counts connections, frames and drops in the metrics registry', async () => {
    const hub = new LiveHub({ maxBufferedBytes: 10 });
    const value = async (name: string, labels: Record<string, string>) =>
      (await metricsRegistry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    const before = await value('live_clients_dropped_total', { stream: 'metrics-test', reason: 'too_slow' });
    const socket = new FakeSocket();
    hub.subscribe('metrics-test', 'u-1', socket);
    expect(await value('live_connections', { stream: 'metrics-test' })).toBe(1);
    hub.publish('metrics-test', 'u-1', liveMessage('x', 'a payload longer than ten bytes'));
    expect(await value('live_clients_dropped_total', { stream: 'metrics-test', reason: 'too_slow' })).toBe(before + 1);
    expect(await value('live_connections', { stream: 'metrics-test' })).toBe(0);
  });

  it('pings every round and terminates whoever missed the previous pong', () => {
    const hub = new LiveHub();
    const answering = new FakeSocket();
    const silent = new FakeSocket();
    hub.subscribe('orders', 'u-1', answering);
    hub.subscribe('orders', 'u-2', silent);
    hub.sweep();
    answering.pong();
    hub.sweep();
    expect(silent.terminated).toBe(true);
    expect(answering.terminated).toBe(false);
    expect(answering.pings).toBe(2);
    expect(hub.subscribedIds('orders')).toEqual(['u-1']);
    hub.close();
    expect(answering.terminated).toBe(true);
  });

  it('refuses subscribers after close and publishes to nobody', () => {
    const hub = new LiveHub();
    hub.close();
    const late = new FakeSocket();
    hub.subscribe('orders', 'u-1', late);
    expect(late.terminated).toBe(true);
    expect(hub.publish('orders', 'u-1', liveMessage('x', {}))).toBe(0);
  });

  it('names a consumer group per instance under the topic prefix', () => {
    const a = liveConsumerGroupName('t-1.', 'order');
    const b = liveConsumerGroupName('t-1.', 'order');
    expect(a).toMatch(/^t-1\.order-live-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });
});
