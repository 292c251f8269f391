import { randomBytes } from 'node:crypto';
import { invalid } from '@sudamall/shared';
import { cardLast4, normalizeCardNumber } from '../../domain/card';
import type { ChargeRequest, ChargeResult, PaymentGateway, PaymentInput, RefundRequest, RefundResult } from '../../app/ports';

/** The spec's test cards: the number alone decides the outcome. */
export const TEST_CARDS: Readonly<Record<string, { outcome: 'success' } | { outcome: 'declined'; code: string; message: string }>> = {
  '4242424242424242': { outcome: 'success' },
  '4000000000000002': { outcome: 'declined', code: 'card_declined', message: 'Your card was declined.' },
  '4000000000009995': { outcome: 'declined', code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  '4000000000000069': { outcome: 'declined', code: 'expired_card', message: 'Your card has expired.' },
  '4000000000000127': { outcome: 'declined', code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
};

const hex = (n: number) => randomBytes(n).toString('hex');

/**
 * In-process gateway for development and tests. Deterministic by card number, and idempotent
 * like a real gateway: the same idempotency key returns the first answer instead of charging
 * again (`chargeCount` counts real charges, so tests can prove "charged once").
 */
export class TestGateway implements PaymentGateway {
  readonly name = 'test_gateway';
  private readonly answers = new Map<string, ChargeResult>();
  private charges = 0;

  get chargeCount(): number {
    return this.charges;
  }

  validateInput(input: PaymentInput): void {
    if (!input.cardNumber) throw invalid('CARD_NUMBER_REQUIRED', 'card_number is required for the test gateway');
    if (!TEST_CARDS[normalizeCardNumber(input.cardNumber)]) {
      throw invalid('INVALID_CARD', 'not a test card number', { card_last4: cardLast4(input.cardNumber) });
    }
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    const earlier = this.answers.get(req.idempotencyKey);
    if (earlier) return earlier;
    this.validateInput(req.input);
    const number = normalizeCardNumber(req.input.cardNumber as string);
    const card = TEST_CARDS[number];
    this.charges += 1;
    const raw = { test_card_last4: number.slice(-4), scenario: card.outcome === 'success' ? 'success' : card.code, amount: req.amount };
    const result: ChargeResult =
      card.outcome === 'success'
        ? { status: 'succeeded', transactionId: `test_txn_${hex(6)}`, reference: `test_ref_${hex(4)}`, raw }
        : { status: 'declined', code: card.code, message: card.message, raw };
    this.answers.set(req.idempotencyKey, result);
    return result;
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    return { gatewayRefundId: `test_refund_${hex(6)}`, raw: { amount: req.amount, transaction_id: req.transactionId } };
  }

  async void(): Promise<void> {
    // Test charges capture at once: nothing is ever held.
  }
}
