// One cart service for a test file: real PostgreSQL (cart_test), real gRPC peers (fakes with
// in-memory data on port 0), the real HTTP app through inject.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@sudamall/shared';
import { TEST_JWT_SECRET, testToken } from '@sudamall/shared/testing';
import { createContainer, type Container } from '../../src/container';
import { buildApp } from '../../src/http/app';
import { FakeInventory } from './fake-inventory';
import { FakeOrderService } from './fake-order';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://sudamall:sudamall@127.0.0.1:5432/cart_test';

export interface Harness {
  app: FastifyInstance;
  container: Container;
  inventory: FakeInventory;
  orders: FakeOrderService;
  inventoryUrl: string;
  orderUrl: string;
  close(): Promise<void>;
}

export async function startHarness(opts: { inventoryUrl?: string; orderUrl?: string; checkoutWaitMs?: number } = {}): Promise<Harness> {
  const inventory = new FakeInventory();
  const orders = new FakeOrderService(inventory);
  const inventoryUrl = opts.inventoryUrl ?? (await inventory.start());
  const orderUrl = opts.orderUrl ?? (await orders.start());
  const logger = createLogger({ name: 'cart-test', level: 'silent' });
  const container = createContainer(
    {
      DATABASE_URL,
      DATABASE_POOL_SIZE: 10,
      INVENTORY_GRPC_URL: inventoryUrl,
      ORDER_GRPC_URL: orderUrl,
      INVENTORY_TIMEOUT_MS: 2000,
      ORDER_TIMEOUT_MS: 2000,
      CHECKOUT_WAIT_MS: opts.checkoutWaitMs ?? 0,
    },
    logger,
  );
  const app = await buildApp({ useCases: container.useCases, auth: { secret: process.env.JWT_SECRET ?? TEST_JWT_SECRET }, logger });
  await app.ready();
  return {
    app,
    container,
    inventory,
    orders,
    inventoryUrl,
    orderUrl,
    async close() {
      await app.close();
      await container.close();
      await Promise.all([inventory.stop(), orders.stop()]);
    },
  };
}

/** A fresh buyer: their id and the Authorization header of their token. */
export function newBuyer(): { id: string; auth: { authorization: string } } {
  const id = randomUUID();
  return { id, auth: { authorization: `Bearer ${testToken({ sub: id, role: 'buyer' })}` } };
}
