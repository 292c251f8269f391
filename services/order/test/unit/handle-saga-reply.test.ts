// Which saga each reply of a fetched batch goes to: the routing alone (the sagas themselves, on
// PostgreSQL, are test/integration/reply-batches and the adjustment tests).
import { randomUUID } from 'node:crypto';
import { createEnvelope, type Envelope } from '@sudamall/shared';
import { HandleSagaReply } from '../../src/app/handle-saga-reply';
import type { OrderAdjustments } from '../../src/app/order-adjustments';
import type { ReplyInBatch, SagaCoordinator } from '../../src/app/saga-coordinator';

function routing() {
  const toCheckout: string[][] = [];
  const toCheckoutAlone: string[] = [];
  const toAdjustments: string[] = [];
  const saga = {
    handleReplies: async (_consumer: string, replies: readonly ReplyInBatch[]) => {
      toCheckout.push(replies.map((r) => r.envelope.type));
    },
    handleReply: async (_consumer: string, envelope: Envelope) => {
      toCheckoutAlone.push(envelope.type);
      return 'applied' as const;
    },
  } as unknown as SagaCoordinator;
  const adjustments = {
    handleReply: async (_consumer: string, envelope: Envelope) => {
      toAdjustments.push(envelope.type);
      return 'applied' as const;
    },
  } as unknown as OrderAdjustments;
  return { handler: new HandleSagaReply(saga, adjustments), toCheckout, toCheckoutAlone, toAdjustments };
}

const inBatch = (envelopes: Envelope[]): ReplyInBatch[] => envelopes.map((envelope) => ({ envelope, within: (fn) => fn() }));

describe('HandleSagaReply.executeBatch', () => {
  it('hands an adjustment its answers from a batch, as it would one at a time: the refund and the restock', async () => {
    const order = randomUUID();
    const other = randomUUID();
    const adjustment = randomUUID();
    const replies = [
      createEnvelope('stock.reserved', other, { order_id: other, lines: [] }),
      createEnvelope('payment.refunded', order, {
        payment_id: randomUUID(),
        order_id: order,
        refund_id: 'r1',
        amount: '5.00',
        reason: 'cancelled',
        refund_key: adjustment,
      }),
      createEnvelope('stock.changed', 'p1', { product_id: 'p1', has_sizes: false, available_quantity: 1, reserved_quantity: 0, sold_quantity: 0, sizes: [] }),
      createEnvelope('stock.restocked', order, { order_id: order, restock_id: adjustment, lines: [] }),
    ];
    const batched = routing();
    await batched.handler.executeBatch(inBatch(replies));
    const alone = routing();
    for (const r of replies) await alone.handler.execute(r);

    expect(batched.toAdjustments).toEqual(['payment.refunded', 'stock.restocked']);
    expect(alone.toAdjustments).toEqual(batched.toAdjustments);
    // The checkout saga's reply goes to it; the stock movement to neither saga.
    expect(batched.toCheckout.flat()).toEqual(['stock.reserved']);
    expect(alone.toCheckoutAlone.filter((t) => t !== 'stock.changed')).toEqual(['stock.reserved']);
  });
});
