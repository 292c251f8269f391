// processPayment's decisions, with fakes for every port: what is checked before anything is
// recorded, when the gateway is (not) called, and what an error leaves behind.
import pino from 'pino';
import { invalid, unavailable } from '@sudamall/shared';
import { processPaymentOver } from '../support/use-cases';
import type { UseCaseDeps } from '../../src/app/deps';
import { GatewayRegistry, type ChargeResult, type OrderForPayment, type PaymentGateway } from '../../src/app/ports';
import { storesOf } from '../support/fake-stores';
import type { PaymentRecord } from '../../src/app/records';

const now = new Date('2026-11-25T10:00:00Z');

const payment = (patch: Partial<PaymentRecord> = {}): PaymentRecord => ({
  paymentId: '8a1c1f4e-1111-4c1d-9d5e-000000000001',
  orderReference: 'order-1',
  userId: 'u1',
  gateway: 'fake',
  paymentMethod: 'credit_card',
  currency: 'USD',
  amount: '10.00',
  gatewayFee: '0.59',
  totalAmount: '10.59',
  refundedAmount: '0.00',
  status: 'pending',
  attemptCount: 0,
  gatewayTransactionId: null,
  gatewayReference: null,
  failureReason: null,
  metadata: {},
  expiresAt: null,
  processingStartedAt: null,
  completedAt: null,
  cancelledAt: null,
  createdAt: now,
  updatedAt: now,
  ...patch,
});

const payableOrder: OrderForPayment = {
  orderId: 'order-1',
  userId: 'u1',
  status: 'under_paying',
  totalAmount: '10.00',
  paymentExpiresAt: new Date(now.getTime() + 60_000),
  payable: true,
  reason: '',
  storeIds: [],
};

function setup(opts: { current?: PaymentRecord; order?: OrderForPayment; charge?: () => Promise<ChargeResult>; claim?: boolean } = {}) {
  const current = opts.current ?? payment();
  const repo = {
    findPayment: jest.fn(async () => current),
    claimForProcessing: jest.fn(async () =>
      opts.claim === false
        ? null
        : { payment: { ...current, status: 'processing' as const }, attemptNumber: current.attemptCount + 1, idempotencyKey: 'k', resumed: false },
    ),
    recordChargeOutcome: jest.fn(async () => ({ ...current, status: 'completed' as const })),
    recordAttemptError: jest.fn(async () => undefined),
    closePayment: jest.fn(async () => current),
  };
  const gateway: PaymentGateway = {
    name: 'fake',
    validateInput: jest.fn((input) => {
      if (input.cardNumber === 'bad') throw invalid('INVALID_CARD', 'bad card');
    }),
    charge: jest.fn(opts.charge ?? (async (): Promise<ChargeResult> => ({ status: 'succeeded', transactionId: 't1', raw: {} }))),
    refund: jest.fn(),
    void: jest.fn(),
    lookup: jest.fn(async () => ({ status: 'not_found' as const, raw: {} })),
    lookupRefund: jest.fn(async () => ({ status: 'not_found' as const, raw: {} })),
  };
  const orders = { getOrderForPayment: jest.fn(async () => opts.order ?? payableOrder) };
  const deps: UseCaseDeps = {
    ...storesOf(repo),
    orders,
    gateways: new GatewayRegistry([gateway]),
    clock: { now: () => now },
    logger: pino({ level: 'silent' }),
    settings: { currency: 'USD', staleProcessingSeconds: 60 },
  };
  return { deps, repo, gateway, orders };
}

const buyer = { id: 'u1', role: 'buyer' as const };

describe('processPayment', () => {
  it('validates the payment input before asking the order or recording anything', async () => {
    const { deps, repo, orders, gateway } = setup();
    await expect(processPaymentOver(deps).execute(buyer, { paymentId: 'p', cardNumber: 'bad' })).rejects.toMatchObject({ code: 'INVALID_CARD' });
    expect(orders.getOrderForPayment).not.toHaveBeenCalled();
    expect(repo.claimForProcessing).not.toHaveBeenCalled();
    expect(gateway.charge).not.toHaveBeenCalled();
  });

  it('asks the order before claiming, and charges the total with the claimed attempt’s key', async () => {
    const { deps, repo, gateway, orders } = setup();
    const result = await processPaymentOver(deps).execute(buyer, { paymentId: 'p', cardNumber: '4242424242424242' });
    expect(orders.getOrderForPayment).toHaveBeenCalledWith('order-1');
    expect(repo.claimForProcessing).toHaveBeenCalledWith(expect.objectContaining({ cardLast4: '4242' }));
    expect(gateway.charge).toHaveBeenCalledWith(expect.objectContaining({ amount: '10.59', idempotencyKey: 'k', attemptNumber: 1 }));
    expect(result).toMatchObject({ outcome: 'succeeded', attemptNumber: 1, retryable: false });
  });

  it('does not charge when another call holds the claim', async () => {
    const { deps, gateway } = setup({ claim: false });
    await expect(processPaymentOver(deps).execute(buyer, { paymentId: 'p', cardNumber: '4242' })).rejects.toMatchObject({ kind: 'conflict' });
    expect(gateway.charge).not.toHaveBeenCalled();
  });

  it('expires the payment instead of charging when the order window has closed', async () => {
    const { deps, repo, gateway } = setup({ order: { ...payableOrder, paymentExpiresAt: new Date(now.getTime() - 1) } });
    await expect(processPaymentOver(deps).execute(buyer, { paymentId: 'p' })).rejects.toMatchObject({ code: 'PAYMENT_WINDOW_EXPIRED' });
    expect(repo.closePayment).toHaveBeenCalledWith(expect.any(String), 'expired', 'payment_window_expired');
    expect(gateway.charge).not.toHaveBeenCalled();
  });

  it('keeps the attempt open when the gateway outcome is unknown (unavailable), closes it when refused', async () => {
    const down = setup({ charge: async () => Promise.reject(unavailable('GATEWAY_UNAVAILABLE', 'timeout')) });
    await expect(processPaymentOver(down.deps).execute(buyer, { paymentId: 'p' })).rejects.toMatchObject({ code: 'GATEWAY_UNAVAILABLE' });
    expect(down.repo.recordAttemptError).toHaveBeenCalledWith(expect.any(String), 1, expect.objectContaining({ code: 'GATEWAY_UNAVAILABLE' }), true);

    const refused = setup({ charge: async () => Promise.reject(invalid('GATEWAY_REJECTED', 'no')) });
    await expect(processPaymentOver(refused.deps).execute(buyer, { paymentId: 'p' })).rejects.toMatchObject({ code: 'GATEWAY_REJECTED' });
    expect(refused.repo.recordAttemptError).toHaveBeenCalledWith(expect.any(String), 1, expect.objectContaining({ code: 'GATEWAY_REJECTED' }), false);
  });

  it('refuses completed, in-progress and other users’ payments without touching the gateway', async () => {
    for (const [current, code] of [
      [payment({ status: 'completed' }), 'PAYMENT_ALREADY_COMPLETED'],
      [payment({ status: 'processing', processingStartedAt: now }), 'PAYMENT_IN_PROGRESS'],
      [payment({ status: 'cancelled' }), 'PAYMENT_NOT_PROCESSABLE'],
      [payment({ metadata: { awaiting_collection: true } }), 'PAYMENT_AWAITING_COLLECTION'],
    ] as const) {
      const { deps, gateway } = setup({ current });
      await expect(processPaymentOver(deps).execute(buyer, { paymentId: 'p' })).rejects.toMatchObject({ code });
      expect(gateway.charge).not.toHaveBeenCalled();
    }
    const { deps } = setup();
    await expect(processPaymentOver(deps).execute({ id: 'someone-else', role: 'buyer' }, { paymentId: 'p' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
