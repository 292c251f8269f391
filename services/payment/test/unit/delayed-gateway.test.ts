import { invalid } from '@sudamall/shared';
import type { RefundRequest } from '../../src/app/ports';
import { loadConfig } from '../../src/config';
import { DelayedGateway } from '../../src/infra/gateways/delayed-gateway';
import { TestGateway } from '../../src/infra/gateways/test-gateway';

const refundReq = (refundId: string): RefundRequest => ({
  paymentId: 'p1',
  refundId,
  idempotencyKey: `refund:${refundId}`,
  transactionId: 'test_txn_1',
  reference: null,
  amount: '5.00',
  currency: 'USD',
  reason: 'x',
});

describe('the slow test gateway (PAYMENT_TEST_GATEWAY_DELAY_MS)', () => {
  it('acts at once, answers after the delay; its records are readable meanwhile', async () => {
    const inner = new TestGateway();
    const slow = new DelayedGateway(inner, 300);
    const started = Date.now();
    const answer = slow.refund(refundReq('r1'));
    await new Promise((r) => setTimeout(r, 50));
    // Already made at the gateway: a lookup while the answer is still on its way finds it.
    expect(inner.refundCount).toBe(1);
    expect(await slow.lookupRefund(refundReq('r1'))).toMatchObject({ status: 'succeeded' });
    const result = await answer;
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(result.gatewayRefundId).toMatch(/^test_refund_/);
    expect(slow.name).toBe('test_gateway');
  });

  it('delays errors too', async () => {
    const inner = new TestGateway();
    inner.refund = async () => {
      throw invalid('GATEWAY_REJECTED', 'no');
    };
    const started = Date.now();
    await expect(new DelayedGateway(inner, 200).refund(refundReq('r2'))).rejects.toMatchObject({ code: 'GATEWAY_REJECTED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('is refused outside test mode', () => {
    const base = { NODE_ENV: 'test', DATABASE_URL: 'postgresql://x@127.0.0.1/x', JWT_SECRET: 'x'.repeat(40), KAFKA_BROKERS: '127.0.0.1:9092' };
    expect(loadConfig({ ...base, PAYMENT_TEST_GATEWAY_DELAY_MS: '1000' }).PAYMENT_TEST_GATEWAY_DELAY_MS).toBe(1000);
    expect(() => loadConfig({ ...base, PAYMENT_TEST_MODE: 'false', PAYMENT_TEST_GATEWAY_DELAY_MS: '1000' })).toThrow(/PAYMENT_TEST_GATEWAY_DELAY_MS/);
  });
});
