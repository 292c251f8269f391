// Builds the real service (PostgreSQL payment_test, real repository and outbox) around a fake
// order peer, for app.inject tests.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { notFound } from '@sudamall/shared';
import { TEST_JWT_SECRET, bearer } from '@sudamall/shared/testing';
import type { OrderForPayment, OrdersPort, PaymentGateway } from '../../src/app/ports';
import { loadConfig, type PaymentConfig } from '../../src/config';
import { createContainer, type Container } from '../../src/container';
import { buildApp } from '../../src/http/app';
import { httpSettingsFrom, type HttpDeps } from '../../src/http/app-deps';
import { createPaymentLogger } from '../../src/infra/logger';

export const TEST_DATABASE_URL =
  process.env.DATABASE_URL_PAYMENT_TEST ?? process.env.PAYMENT_TEST_DATABASE_URL ?? 'postgresql://sudamall:sudamall@127.0.0.1:5432/payment_test';

/** Orders as the order service would answer GetOrderForPayment. */
export class FakeOrders implements OrdersPort {
  readonly orders = new Map<string, OrderForPayment>();
  calls = 0;

  add(o: Partial<OrderForPayment> & { userId: string; totalAmount: string }): OrderForPayment {
    const order: OrderForPayment = {
      orderId: o.orderId ?? randomUUID(),
      status: 'under_paying',
      paymentExpiresAt: new Date(Date.now() + 15 * 60_000),
      payable: true,
      reason: '',
      storeIds: [],
      ...o,
    };
    this.orders.set(order.orderId, order);
    return order;
  }

  update(orderId: string, patch: Partial<OrderForPayment>): void {
    const o = this.orders.get(orderId);
    if (o) this.orders.set(orderId, { ...o, ...patch });
  }

  async getOrderForPayment(orderId: string): Promise<OrderForPayment> {
    this.calls += 1;
    const o = this.orders.get(orderId);
    if (!o) throw notFound('ORDER_NOT_FOUND', `order ${orderId} not found`);
    return o;
  }
}

export function testConfig(env: Record<string, string> = {}): PaymentConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: TEST_DATABASE_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    STRIPE_WEBHOOK_SECRET: 'whsec_payment_tests',
    // Never a real gateway: a test that does not start its fake gets a refused loopback port
    // (an automatic refund, a recovery lookup) instead of a call to the internet.
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: '9',
    STRIPE_API_PROTOCOL: 'http',
    PAYPAL_BASE_URL: 'http://127.0.0.1:9',
    ...env,
  });
}

export interface Harness {
  app: FastifyInstance;
  container: Container;
  orders: OrdersPort;
  config: PaymentConfig;
  close(): Promise<void>;
}

export function httpDeps(c: Container, ready = true): HttpDeps {
  const config = c.config;
  return {
    useCases: c.useCases,
    logger: c.logger,
    auth: { secret: config.JWT_SECRET },
    settings: httpSettingsFrom(config),
    ready: () => ready,
  };
}

export async function startHarness(opts: { orders?: OrdersPort; gateways?: PaymentGateway[]; env?: Record<string, string> } = {}): Promise<Harness> {
  const config = testConfig(opts.env);
  const orders = opts.orders ?? new FakeOrders();
  const container = createContainer(config, createPaymentLogger(config.LOG_LEVEL), { orders, gateways: opts.gateways });
  const app = await buildApp(httpDeps(container));
  return {
    app,
    container,
    orders,
    config,
    async close() {
      await app.close();
      await container.close();
    },
  };
}

export const buyer = (id = `buyer-${randomUUID()}`) => ({ id, auth: bearer({ sub: id, role: 'buyer' }) });
export const admin = (id = `admin-${randomUUID()}`) => ({ id, auth: bearer({ sub: id, role: 'admin' }) });
export const seller = (id = `seller-${randomUUID()}`) => ({ id, auth: bearer({ sub: id, role: 'seller', store_id: `store-${id}` }) });

export const CARDS = {
  success: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  expired: '4000000000000069',
  incorrectCvc: '4000000000000127',
};
