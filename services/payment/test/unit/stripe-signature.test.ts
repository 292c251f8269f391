import { signStripePayload, verifyStripeSignature } from '../../src/domain/stripe-signature';

const secret = 'whsec_unit_test_secret';
const body = '{"id":"evt_1","type":"payment_intent.succeeded"}';
const now = 1_800_000_000;

describe('Stripe webhook signature', () => {
  it('accepts the signature Stripe computes over t.body', () => {
    const header = signStripePayload(body, secret, now);
    expect(verifyStripeSignature(Buffer.from(body), header, secret, { toleranceSeconds: 300, nowSeconds: now + 10 })).toEqual({ ok: true, timestamp: now });
  });

  it('accepts when any of several v1 signatures matches (secret rotation)', () => {
    const good = signStripePayload(body, secret, now).split(',')[1];
    const header = `t=${now},v1=${'0'.repeat(64)},${good}`;
    expect(verifyStripeSignature(body, header, secret, { toleranceSeconds: 300, nowSeconds: now }).ok).toBe(true);
  });

  it('refuses a body changed by one byte, a wrong secret, a missing or garbled header', () => {
    const header = signStripePayload(body, secret, now);
    const opts = { toleranceSeconds: 300, nowSeconds: now };
    expect(verifyStripeSignature(body.replace('1', '2'), header, secret, opts).ok).toBe(false);
    expect(verifyStripeSignature(body, header, 'whsec_other', opts).ok).toBe(false);
    expect(verifyStripeSignature(body, undefined, secret, opts).ok).toBe(false);
    expect(verifyStripeSignature(body, 'v1=abc', secret, opts).ok).toBe(false);
    expect(verifyStripeSignature(body, `t=${now},v1=zz`, secret, opts).ok).toBe(false);
  });

  it('refuses a replay outside the tolerance', () => {
    const header = signStripePayload(body, secret, now);
    expect(verifyStripeSignature(body, header, secret, { toleranceSeconds: 300, nowSeconds: now + 301 })).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance',
    });
  });
});
