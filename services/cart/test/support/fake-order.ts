// A tiny real order peer: grpc-js OrderService on port 0. PlaceOrder is idempotent by
// (user_id, idempotency_key) like the real one, and reserves against the fake inventory's stock
// so the cart sees under_paying (with a payment deadline) or cancelled with short lines.
import { randomUUID } from 'node:crypto';
import { status, type handleUnaryCall } from '@grpc/grpc-js';
import { order } from '@sudamall/proto';
import { createLogger, formatMoney, money, startGrpcServer, sumMoney, type GrpcServerHandle } from '@sudamall/shared';
import type { FakeInventory } from './fake-inventory';

const unimplemented: handleUnaryCall<any, any> = (_call, callback) =>
  callback({ code: status.UNIMPLEMENTED, details: 'not in the fake', name: 'Error', message: 'not in the fake' });

export class FakeOrderService {
  readonly orders = new Map<string, order.Order>();
  placeOrderCalls = 0;
  /** Every PlaceOrder request as it arrived (what cart sent over the wire). */
  readonly requests: order.PlaceOrderRequest[] = [];
  /** When set, new orders stay pending (the reservation outcome did not arrive within wait_ms). */
  answerPending = false;
  private readonly byKey = new Map<string, string>();
  private handle: GrpcServerHandle | undefined;

  constructor(private readonly inventory: FakeInventory) {}

  ordersOf(userId: string): order.Order[] {
    return [...this.orders.values()].filter((o) => o.userId === userId);
  }

  private place(req: order.PlaceOrderRequest): { order: order.Order; replayed: boolean } {
    this.requests.push(req);
    const key = `${req.userId}\u0000${req.idempotencyKey}`;
    const existing = this.byKey.get(key);
    if (existing) return { order: this.orders.get(existing)!, replayed: true };
    const orderId = randomUUID();
    const now = new Date().toISOString();
    const items: order.OrderItem[] = req.items.map((l) => {
      const p = this.inventory.products.get(l.productId);
      return {
        itemId: randomUUID(),
        productId: l.productId,
        size: l.size,
        quantity: l.quantity,
        // As the real order prices a line: what the buyer pays now (the sale price while one is on).
        price: p ? p.currentPrice || p.price : '0.00',
        snapshotId: '',
        productName: p?.productName ?? '',
        storeId: p?.storeId ?? '',
      };
    });
    const shortLines: order.ShortLine[] = [];
    for (const item of items) {
      const available = this.inventory.availableFor(item.productId, item.size);
      if (available < item.quantity) {
        shortLines.push({
          lineId: item.itemId,
          productId: item.productId,
          size: item.size,
          requested: item.quantity,
          available: Math.max(available, 0),
          code: available < 0 ? 'PRODUCT_UNAVAILABLE' : 'INSUFFICIENT_STOCK',
        });
      }
    }
    const reserved = shortLines.length === 0 && !this.answerPending;
    if (reserved) {
      for (const item of items) {
        const p = this.inventory.products.get(item.productId)!;
        if (p.hasSizes) p.sizes.find((s) => s.size === item.size)!.availableQuantity -= item.quantity;
        else p.availableQuantity -= item.quantity;
      }
    }
    const o: order.Order = {
      orderId,
      userId: req.userId,
      status: shortLines.length > 0 ? 'cancelled' : this.answerPending ? 'pending' : 'under_paying',
      totalAmount: formatMoney(sumMoney(items.map((i) => money(i.price).times(i.quantity)))),
      shippingAddress: req.shippingAddress,
      notes: req.notes,
      paymentExpiresAt: reserved ? new Date(Date.now() + 15 * 60_000).toISOString() : '',
      cancelReason: shortLines.length > 0 ? 'out_of_stock' : '',
      createdAt: now,
      updatedAt: now,
      items,
      shortLines,
    };
    this.orders.set(orderId, o);
    this.byKey.set(key, orderId);
    return { order: o, replayed: false };
  }

  /** The reservation of a pending order succeeded after all. */
  accept(orderId: string): order.Order {
    const o = this.orders.get(orderId)!;
    o.status = 'under_paying';
    o.paymentExpiresAt = new Date(Date.now() + 15 * 60_000).toISOString();
    return o;
  }

  implementation(): order.OrderServiceServer {
    return {
      placeOrder: (call, callback) => {
        this.placeOrderCalls += 1;
        callback(null, this.place(call.request));
      },
      getOrder: unimplemented,
      getOrderForPayment: unimplemented,
    };
  }

  async start(): Promise<string> {
    this.handle = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [{ definition: order.OrderServiceService, implementation: this.implementation() }],
      logger: createLogger({ name: 'fake-order', level: 'silent' }),
    });
    this.handle.setServing(true);
    return `127.0.0.1:${this.handle.port}`;
  }

  async stop(): Promise<void> {
    await this.handle?.close();
  }
}
