// A steady stream of storefront checkouts with random payment outcomes, as real buyers would
// drive them through the public REST APIs: list a few hot products, then let N workers check
// out, pay, fail, retry, abandon or cancel until a count or a time is reached. It keeps going
// through faults (a service down answers nothing or 5xx: the worker retries what is safe to
// retry, with the same idempotency key, and counts the rest), and remembers every order id it
// saw so the invariant checker can be scoped to the run. Its calls go through the storefront's
// typed client (@sudamall/client), so a route whose document drifts fails to compile here.
import { randomUUID } from 'node:crypto';
import type { ErrorBody, SudamallClient } from '@sudamall/client';
import { testToken } from '@sudamall/shared/testing';
import { platformClient, type Platform, type ServiceName } from './platform';

export type Plan = 'pay' | 'decline_then_pay' | 'abandon' | 'cancel' | 'cancel_while_paying' | 'double_pay';
export const PLANS: readonly Plan[] = ['pay', 'decline_then_pay', 'abandon', 'cancel', 'cancel_while_paying', 'double_pay'];

/** Relative weights of what buyers do once their order is under_paying. */
export const DEFAULT_MIX: Record<Plan, number> = {
  pay: 35,
  decline_then_pay: 20,
  abandon: 15,
  cancel: 15,
  cancel_while_paying: 10,
  double_pay: 5,
};

export const GOOD_CARD = '4242424242424242';
export const DECLINED_CARD = '4000000000000002';

export interface HotProduct {
  id: string;
  /** undefined for a product without sizes */
  sizes?: string[];
}

interface Reply {
  status: number;
  body: any;
}

/** A typed call's answer; a network failure or timeout is status 0 with code NETWORK. */
export interface Answer<T> {
  status: number;
  data: T | undefined;
  /** The ErrorBody's code of an error answer (`INSUFFICIENT_STOCK`, ...), NETWORK for none. */
  code?: string;
}

/** What a typed client call resolves to (openapi-fetch's `{ data, error, response }`). */
type Sent<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

const codeOf = (error: unknown): string | undefined => (error as ErrorBody | undefined)?.error?.code;

/**
 * One user's REST calls: `api` is the storefront's typed client (@sudamall/client), and send()
 * turns one of its calls into an Answer (a network failure is status 0, never a throw). call()
 * sends anything, untyped, for endpoints the documents leave out (chaos's parked-message admin).
 */
export class Caller {
  readonly token: string;
  readonly api: SudamallClient;
  constructor(
    private readonly platform: Platform,
    readonly claims: { sub: string; role: 'buyer' | 'seller' | 'admin'; store_id?: string },
  ) {
    this.token = testToken(claims);
    this.api = platformClient(platform, this.token);
  }

  /** One typed call, e.g. `send((signal) => caller.api.order.GET(path, { params, signal }))`. */
  async send<T>(call: (signal: AbortSignal) => Sent<T>, timeoutMs = 15_000): Promise<Answer<T>> {
    try {
      const { data, error, response } = await call(AbortSignal.timeout(timeoutMs));
      return { status: response.status, data, code: codeOf(error) };
    } catch {
      return { status: 0, data: undefined, code: 'NETWORK' };
    }
  }

  /** send(), retried while the answer says "not now" (network, 5xx), up to `attempts`. */
  async sendRetrying<T>(call: (signal: AbortSignal) => Sent<T>, attempts = 8): Promise<Answer<T>> {
    let answer: Answer<T> = { status: 0, data: undefined, code: 'NETWORK' };
    for (let i = 0; i < attempts; i++) {
      answer = await this.send(call);
      if (answer.status !== 0 && answer.status < 500) return answer;
      await sleep(Math.min(250 * 2 ** i, 3_000));
    }
    return answer;
  }

  async call(service: ServiceName, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<Reply> {
    try {
      const res = await fetch(`${this.platform.httpUrl(service)}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (a proxy error page): keep the text
      }
      return { status: res.status, body: parsed };
    } catch (err) {
      return { status: 0, body: { error: { code: 'NETWORK', message: (err as Error).message } } };
    }
  }

  /** Retries while the answer says "not now" (network, 5xx, 409 in progress), up to `attempts`. */
  async callRetrying(service: ServiceName, method: string, path: string, body?: unknown, headers?: Record<string, string>, attempts = 8): Promise<Reply> {
    let reply: Reply = { status: 0, body: null };
    for (let i = 0; i < attempts; i++) {
      reply = await this.call(service, method, path, body, headers);
      if (reply.status !== 0 && reply.status < 500) return reply;
      await sleep(Math.min(250 * 2 ** i, 3_000));
    }
    return reply;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function listHotProducts(
  platform: Platform,
  seller: Caller,
  specs: { quantity: number; sizes?: string[]; price?: string }[],
): Promise<HotProduct[]> {
  const products: HotProduct[] = [];
  for (const spec of specs) {
    const body = {
      product_name: `Hot product ${randomUUID().slice(0, 6)}`,
      product_description: 'invariant/chaos load',
      price: spec.price ?? '10.00',
      color: 'black',
      brand: 'Sudamall',
      category: 'load',
      ...(spec.sizes
        ? { has_sizes: true, sizes: spec.sizes.map((size) => ({ size, available_quantity: spec.quantity })) }
        : { has_sizes: false, available_quantity: spec.quantity }),
    };
    const res = await seller.sendRetrying((signal) => seller.api.inventory.POST('/api/v1/products', { body, signal }));
    if (res.status !== 201 || !res.data) throw new Error(`listing a product failed: ${res.status} ${res.code ?? ''}`);
    products.push({ id: res.data.id, sizes: spec.sizes });
  }
  void platform;
  return products;
}

export interface LoadOptions {
  platform: Platform;
  products: HotProduct[];
  concurrency: number;
  /** Stop after this many checkouts... */
  total?: number;
  /** ...or after this long (whichever first). */
  durationMs?: number;
  mix?: Partial<Record<Plan, number>>;
  /** Called with every order id as soon as it is known. */
  onOrder?: (orderId: string) => void;
}

export interface LoadResult {
  checkouts: number;
  orderIds: string[];
  /** What the buyers set out to do. */
  planned: Record<string, number>;
  /** What actually happened, e.g. `pay:paid`, `cancel:cancelled`, `checkout:rejected_insufficient_stock`. */
  outcomes: Record<string, number>;
  /** Unexpected answers (5xx, network), by `service status code`. */
  errors: Record<string, number>;
  durationMs: number;
  /** place → under_paying, ms */
  checkoutLatency: { p50: number; p99: number; max: number };
  ordersPerSecond: number;
}

function pickPlan(mix: Record<Plan, number>): Plan {
  const total = PLANS.reduce((n, p) => n + (mix[p] ?? 0), 0);
  let r = Math.random() * total;
  for (const p of PLANS) {
    r -= mix[p] ?? 0;
    if (r < 0) return p;
  }
  return 'pay';
}

const percentile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);

/** Runs checkouts with `concurrency` workers until `total` or `durationMs`; never throws for a fault. */
export async function runCheckouts(opts: LoadOptions): Promise<LoadResult> {
  const mix = { ...DEFAULT_MIX, ...(opts.mix ?? {}) } as Record<Plan, number>;
  const started = Date.now();
  const deadline = opts.durationMs ? started + opts.durationMs : Infinity;
  const limit = opts.total ?? Infinity;
  let issued = 0;
  const orderIds = new Set<string>();
  const planned: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const count = (bag: Record<string, number>, key: string) => (bag[key] = (bag[key] ?? 0) + 1);
  const noteError = (service: string, r: Answer<unknown>) => {
    if (r.status === 0 || r.status >= 500) count(errors, `${service} ${r.status} ${r.code ?? ''}`.trim());
  };
  const remember = (id: string | undefined) => {
    if (id && !orderIds.has(id)) {
      orderIds.add(id);
      opts.onOrder?.(id);
    }
  };

  async function pay(buyer: Caller, orderId: string, card: string): Promise<string> {
    const { payment } = buyer.api;
    let created: Answer<{ payment_id: string }> = await buyer.sendRetrying((signal) =>
      payment.POST('/api/v1/payments/create', { body: { order_id: orderId, gateway: 'test_gateway' }, signal }),
    );
    if (created.status === 409 && created.code === 'PAYMENT_EXISTS') {
      created = await buyer.sendRetrying((signal) =>
        payment.GET('/api/v1/payments/status/{order_reference}', { params: { path: { order_reference: orderId } }, signal }),
      );
    }
    noteError('payment', created);
    const paymentId = created.data?.payment_id;
    if (!paymentId) return `create_${created.status}_${created.code ?? ''}`;
    const processed = await buyer.send((signal) => payment.POST('/api/v1/payments/process', { body: { payment_id: paymentId, card_number: card }, signal }));
    noteError('payment', processed);
    if (processed.status === 200) return processed.data?.outcome ?? 'unknown';
    return `process_${processed.status}_${processed.code ?? ''}`;
  }

  async function cancel(buyer: Caller, orderId: string): Promise<string> {
    const r = await buyer.sendRetrying((signal) =>
      buyer.api.order.POST('/api/v1/orders/{order_id}/cancel', { params: { path: { order_id: orderId } }, body: {}, signal }),
    );
    noteError('order', r);
    return r.status === 200 ? 'cancelled' : `cancel_${r.status}_${r.code ?? ''}`;
  }

  async function oneCheckout(): Promise<void> {
    const buyer = new Caller(opts.platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });
    const product = opts.products[Math.floor(Math.random() * opts.products.length)];
    const size = product.sizes ? product.sizes[Math.floor(Math.random() * product.sizes.length)] : undefined;
    const key = randomUUID();
    const t0 = Date.now();
    // The same idempotency key on every retry: a retry after a crash returns the same order.
    const body = { product_id: product.id, quantity: 1 + Math.floor(Math.random() * 2), ...(size ? { size } : {}), shipping_address: '1 Load St' };
    const placed = await buyer.sendRetrying((signal) =>
      buyer.api.cart.POST('/api/v1/carts/checkout/single', { params: { header: { 'idempotency-key': key } }, body, signal }),
    );
    noteError('cart', placed);
    remember(placed.data?.order_id);
    if (placed.status === 409 && placed.code === 'INSUFFICIENT_STOCK') return void count(outcomes, 'checkout:rejected_insufficient_stock');
    if ((placed.status !== 201 && placed.status !== 200) || !placed.data) return void count(outcomes, `checkout:${placed.status}_${placed.code ?? ''}`);
    const orderId: string = placed.data.order_id;
    let status: string = placed.data.status;
    // Under load the checkout may answer before the reservation lands (`pending`): wait for it
    // as a storefront polling the order would.
    for (let i = 0; status === 'pending' && i < 40; i++) {
      await sleep(250);
      const polled = await buyer.send((signal) => buyer.api.order.GET('/api/v1/orders/{order_id}', { params: { path: { order_id: orderId } }, signal }));
      noteError('order', polled);
      if (polled.status === 200 && polled.data) status = polled.data.status;
    }
    if (status !== 'under_paying') return void count(outcomes, `checkout:${status}`);
    latencies.push(Date.now() - t0);

    const plan = pickPlan(mix);
    count(planned, plan);
    let outcome: string;
    switch (plan) {
      case 'pay':
        outcome = await pay(buyer, orderId, GOOD_CARD);
        break;
      case 'decline_then_pay': {
        const first = await pay(buyer, orderId, DECLINED_CARD);
        outcome = `${first}→${await pay(buyer, orderId, GOOD_CARD)}`;
        break;
      }
      case 'abandon':
        outcome = await pay(buyer, orderId, DECLINED_CARD);
        break;
      case 'cancel':
        outcome = await cancel(buyer, orderId);
        break;
      case 'cancel_while_paying': {
        const [paid, cancelled] = await Promise.all([pay(buyer, orderId, GOOD_CARD), cancel(buyer, orderId)]);
        outcome = `${paid}+${cancelled}`;
        break;
      }
      case 'double_pay': {
        const both = await Promise.all([pay(buyer, orderId, GOOD_CARD), pay(buyer, orderId, GOOD_CARD)]);
        outcome = both.sort().join('+');
        break;
      }
    }
    count(outcomes, `${plan}:${outcome}`);
  }

  async function worker(): Promise<void> {
    while (issued < limit && Date.now() < deadline) {
      issued += 1;
      try {
        await oneCheckout();
      } catch (err) {
        count(errors, `load ${(err as Error).message.slice(0, 80)}`);
      }
    }
  }

  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  const durationMs = Date.now() - started;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    checkouts: issued,
    orderIds: [...orderIds],
    planned,
    outcomes,
    errors,
    durationMs,
    checkoutLatency: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0 },
    ordersPerSecond: Math.round((orderIds.size / (durationMs / 1000)) * 10) / 10,
  };
}

export function formatLoad(r: LoadResult): string {
  const sort = (bag: Record<string, number>) => Object.fromEntries(Object.entries(bag).sort(([a], [b]) => a.localeCompare(b)));
  return [
    `${r.checkouts} checkouts, ${r.orderIds.length} orders in ${(r.durationMs / 1000).toFixed(1)} s (${r.ordersPerSecond} orders/s); place→under_paying p50 ${r.checkoutLatency.p50} ms, p99 ${r.checkoutLatency.p99} ms, max ${r.checkoutLatency.max} ms`,
    `planned:  ${JSON.stringify(sort(r.planned))}`,
    `outcomes: ${JSON.stringify(sort(r.outcomes))}`,
    `errors:   ${Object.keys(r.errors).length ? JSON.stringify(sort(r.errors)) : 'none'}`,
  ].join('\n');
}
