// The Stripe adapter's "one chargeable intent per payment" rule and its lookup, over a fake SDK
// client (the full flows run against localstripe in test/integration/duplicate-captures and
// stripe-recovery).
import Stripe from 'stripe';
import { StripeGateway } from '../../src/infra/gateways/stripe-gateway';
import type { ChargeRequest, LookupRequest } from '../../src/app/ports';

const intent = (fields: Partial<Stripe.PaymentIntent>) =>
  ({
    id: 'pi_prev',
    amount: 2087,
    currency: 'usd',
    latest_charge: null,
    last_payment_error: null,
    metadata: { payment_id: 'pay-1', attempt_number: '1' },
    ...fields,
  }) as Stripe.PaymentIntent;
const notFound = () =>
  new Stripe.errors.StripeInvalidRequestError({ message: 'No such payment_intent', statusCode: 404, type: 'invalid_request_error' } as never);

function fakeClient(over: Partial<Record<'retrieve' | 'cancel' | 'create' | 'search', jest.Mock>>) {
  const calls = {
    retrieve: over.retrieve ?? jest.fn(),
    cancel: over.cancel ?? jest.fn(),
    create:
      over.create ??
      jest.fn(async () => intent({ id: 'pi_new', status: 'succeeded', latest_charge: 'ch_new', metadata: { payment_id: 'pay-1', attempt_number: '2' } })),
    search: over.search ?? jest.fn(),
  };
  return { client: { paymentIntents: calls } as unknown as Stripe, calls };
}

const charge: ChargeRequest = {
  paymentId: 'pay-1',
  orderId: 'order-1',
  attemptNumber: 2,
  idempotencyKey: 'payment:pay-1:attempt:2',
  amount: '20.87',
  currency: 'USD',
  input: { paymentMethodId: 'pm_card_visa' },
  previousReference: 'pi_prev',
};
const lookup: LookupRequest = {
  paymentId: 'pay-1',
  orderId: 'order-1',
  attemptNumber: 1,
  idempotencyKey: 'payment:pay-1:attempt:1',
  reference: null,
  amount: '20.87',
  currency: 'USD',
};

describe("Stripe: the previous attempt's intent is settled before a new one", () => {
  it('a 3-D Secure intent still waiting is cancelled, then the new intent is created', async () => {
    const order: string[] = [];
    const { client, calls } = fakeClient({
      retrieve: jest.fn(async () => intent({ status: 'requires_action' })),
      cancel: jest.fn(async () => (order.push('cancel'), intent({ status: 'canceled' }))),
      create: jest.fn(async () => (order.push('create'), intent({ id: 'pi_new', status: 'succeeded', latest_charge: 'ch_new' }))),
    });
    const r = await new StripeGateway({ secretKey: 'sk', client }).charge(charge);
    expect(r).toMatchObject({ status: 'succeeded', transactionId: 'pi_new' });
    expect(order).toEqual(['cancel', 'create']);
    expect(calls.cancel).toHaveBeenCalledWith('pi_prev', {}, { idempotencyKey: 'cancel:pi_prev' });
  });

  it('an earlier intent that captured answers for this attempt: nothing new is created', async () => {
    const { client, calls } = fakeClient({ retrieve: jest.fn(async () => intent({ status: 'succeeded', latest_charge: 'ch_prev' })) });
    expect(await new StripeGateway({ secretKey: 'sk', client }).charge(charge)).toMatchObject({ status: 'succeeded', transactionId: 'pi_prev' });
    expect(calls.create).not.toHaveBeenCalled();
  });

  it('a cancel refused because the buyer just finished 3-D Secure: the capture is the answer', async () => {
    const { client, calls } = fakeClient({
      retrieve: jest
        .fn()
        .mockResolvedValueOnce(intent({ status: 'requires_action' }))
        .mockResolvedValueOnce(intent({ status: 'succeeded' })),
      cancel: jest.fn(async () => {
        throw new Stripe.errors.StripeInvalidRequestError({
          message: 'cannot cancel a succeeded intent',
          statusCode: 400,
          type: 'invalid_request_error',
        } as never);
      }),
    });
    expect(await new StripeGateway({ secretKey: 'sk', client }).charge(charge)).toMatchObject({ status: 'succeeded', transactionId: 'pi_prev' });
    expect(calls.create).not.toHaveBeenCalled();
  });

  it('an intent Stripe does not know, or one of another payment, is no obstacle', async () => {
    const missing = fakeClient({ retrieve: jest.fn(async () => Promise.reject(notFound())) });
    expect(await new StripeGateway({ secretKey: 'sk', client: missing.client }).charge(charge)).toMatchObject({ status: 'succeeded', transactionId: 'pi_new' });
    const other = fakeClient({ retrieve: jest.fn(async () => intent({ status: 'requires_action', metadata: { payment_id: 'pay-9', attempt_number: '1' } })) });
    expect(await new StripeGateway({ secretKey: 'sk', client: other.client }).charge(charge)).toMatchObject({ transactionId: 'pi_new' });
    expect(other.calls.cancel).not.toHaveBeenCalled();
  });
});

describe('Stripe lookup', () => {
  it('finds the attempt by metadata search when no intent was recorded', async () => {
    const { client, calls } = fakeClient({ search: jest.fn(async () => ({ data: [intent({ status: 'succeeded', latest_charge: 'ch_prev' })] })) });
    expect(await new StripeGateway({ secretKey: 'sk', client }).lookup(lookup)).toMatchObject({ status: 'succeeded', transactionId: 'pi_prev' });
    expect(calls.search).toHaveBeenCalledWith({ query: "metadata['payment_id']:'pay-1' AND metadata['attempt_number']:'1'", limit: 10 });
  });

  it('none found: not_found; a Stripe without search (localstripe): processing, so nothing is decided', async () => {
    const none = fakeClient({ search: jest.fn(async () => ({ data: [] })) });
    expect(await new StripeGateway({ secretKey: 'sk', client: none.client }).lookup(lookup)).toMatchObject({ status: 'not_found' });
    const unsupported = fakeClient({ search: jest.fn(async () => Promise.reject(notFound())) });
    expect(await new StripeGateway({ secretKey: 'sk', client: unsupported.client }).lookup(lookup)).toMatchObject({ status: 'processing' });
  });

  it('the recorded intent of this attempt is retrieved; a canceled one is a decline', async () => {
    const { client, calls } = fakeClient({ retrieve: jest.fn(async () => intent({ status: 'canceled' })) });
    expect(await new StripeGateway({ secretKey: 'sk', client }).lookup({ ...lookup, reference: 'pi_prev' })).toMatchObject({
      status: 'declined',
      code: 'payment_intent_canceled',
    });
    expect(calls.search).not.toHaveBeenCalled();
  });
});
