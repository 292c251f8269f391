import { DomainError } from '@sudamall/shared';
import { TEST_GATEWAY_REMEMBERED_KEYS, TestGateway } from '../../src/infra/gateways/test-gateway';
import type { ChargeRequest, LookupRequest } from '../../src/app/ports';

const request = (cardNumber: string, key = `k-${cardNumber}`): ChargeRequest => ({
  paymentId: 'p1',
  orderId: 'o1',
  attemptNumber: 1,
  idempotencyKey: key,
  amount: '10.30',
  currency: 'USD',
  input: { cardNumber },
  previousReference: null,
});

describe('test gateway', () => {
  it('succeeds with 4242424242424242', async () => {
    const result = await new TestGateway().charge(request('4242424242424242'));
    expect(result).toMatchObject({ status: 'succeeded', transactionId: expect.stringMatching(/^test_txn_/) });
  });

  it.each([
    ['4000000000000002', 'card_declined'],
    ['4000000000009995', 'insufficient_funds'],
    ['4000000000000069', 'expired_card'],
    ['4000000000000127', 'incorrect_cvc'],
  ])('declines %s with %s', async (card, code) => {
    expect(await new TestGateway().charge(request(card))).toMatchObject({ status: 'declined', code });
  });

  it("succeeds with a number it does not list (the spec's default scenario)", async () => {
    const gateway = new TestGateway();
    expect(await gateway.charge(request('5555 5555 5555 4444'))).toMatchObject({ status: 'succeeded', raw: { scenario: 'success', test_card_last4: '4444' } });
    expect(gateway.chargeCount).toBe(1);
  });

  it('refuses what cannot be a card number (400), before charging', async () => {
    const gateway = new TestGateway();
    expect(() => gateway.validateInput({ cardNumber: '55554444' })).toThrow(DomainError);
    await expect(gateway.charge(request('---- ---- ----'))).rejects.toMatchObject({ kind: 'invalid', code: 'INVALID_CARD' });
    expect(() => gateway.validateInput({})).toThrow(expect.objectContaining({ code: 'CARD_NUMBER_REQUIRED' }));
    expect(gateway.chargeCount).toBe(0);
  });

  it('charges once per idempotency key, like a real gateway', async () => {
    const gateway = new TestGateway();
    const first = await gateway.charge(request('4242424242424242', 'same'));
    const again = await gateway.charge(request('4242424242424242', 'same'));
    expect(again).toEqual(first);
    expect(gateway.chargeCount).toBe(1);
  });

  it('keeps only the last four digits in what it answers', async () => {
    const result = await new TestGateway().charge(request('4242424242424242'));
    expect(JSON.stringify(result)).not.toContain('4242424242424242');
  });

  it('remembers the newest keys only (bounded memory), answering a remembered key as before', async () => {
    const gateway = new TestGateway();
    const first = await gateway.charge(request('4242424242424242', 'key-0'));
    expect(await gateway.charge(request('4242424242424242', 'key-0'))).toEqual(first);
    for (let i = 1; i <= TEST_GATEWAY_REMEMBERED_KEYS; i++) await gateway.charge(request('4242424242424242', `key-${i}`));
    const lookup = (idempotencyKey: string): LookupRequest => ({ ...request('4242424242424242', idempotencyKey), reference: null });
    expect(await gateway.lookup(lookup(`key-${TEST_GATEWAY_REMEMBERED_KEYS}`))).toMatchObject({ status: 'succeeded' });
    expect(await gateway.lookup(lookup('key-0'))).toMatchObject({ status: 'not_found' });
    expect(gateway.chargeCount).toBe(TEST_GATEWAY_REMEMBERED_KEYS + 1);
  });
});
