import type Stripe from 'stripe';
import { StripeGateway } from '../../src/infra/gateways/stripe-gateway';
import type { ChargeRequest } from '../../src/app/ports';

function fakeStripe(intent: Partial<Stripe.PaymentIntent>) {
  const create = jest.fn(async () => ({ id: 'pi_1', latest_charge: 'ch_1', amount: 2087, currency: 'usd', last_payment_error: null, ...intent }));
  return { client: { paymentIntents: { create } } as unknown as Stripe, create };
}

const request: ChargeRequest = {
  paymentId: 'pay-1',
  orderId: 'order-1',
  attemptNumber: 2,
  idempotencyKey: 'payment:pay-1:attempt:2',
  amount: '20.87',
  currency: 'USD',
  input: { paymentMethodId: 'pm_card_visa' },
  previousReference: null,
};

describe('Stripe adapter', () => {
  it('creates and confirms one PaymentIntent in minor units, with metadata and the idempotency key', async () => {
    const { client, create } = fakeStripe({ status: 'succeeded' });
    const result = await new StripeGateway({ secretKey: 'sk_test', client }).charge(request);
    expect(result).toMatchObject({ status: 'succeeded', transactionId: 'pi_1', reference: 'ch_1' });
    expect(create).toHaveBeenCalledWith(
      {
        amount: 2087,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        capture_method: 'automatic',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        metadata: { payment_id: 'pay-1', order_id: 'order-1', attempt_number: '2' },
      },
      { idempotencyKey: 'payment:pay-1:attempt:2' },
    );
  });

  it('maps the intent status: requires_action, requires_payment_method (declined), processing', async () => {
    const action = await new StripeGateway({ secretKey: 'sk', client: fakeStripe({ status: 'requires_action' }).client }).charge(request);
    expect(action).toMatchObject({ status: 'requires_action', reference: 'pi_1' });
    const declined = await new StripeGateway({
      secretKey: 'sk',
      client: fakeStripe({
        status: 'requires_payment_method',
        last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds', type: 'card_error' },
      }).client,
    }).charge(request);
    expect(declined).toMatchObject({ status: 'declined', code: 'insufficient_funds' });
    const processing = await new StripeGateway({ secretKey: 'sk', client: fakeStripe({ status: 'processing' }).client }).charge(request);
    expect(processing).toMatchObject({ status: 'processing', reference: 'pi_1' });
  });
});
