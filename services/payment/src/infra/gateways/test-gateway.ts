import { randomBytes } from 'node:crypto';
import { conflict, invalid } from '@sudamall/shared';
import { cardLast4, normalizeCardNumber } from '../../domain/card';
import type {
  ChargeRequest,
  ChargeResult,
  LookupRequest,
  LookupResult,
  PaymentGateway,
  PaymentInput,
  RefundLookupRequest,
  RefundLookupResult,
  RefundRequest,
  RefundResult,
} from '../../app/ports';

/** The spec's test cards: the number alone decides the outcome. */
export const TEST_CARDS: Readonly<Record<string, { outcome: 'success' } | { outcome: 'declined'; code: string; message: string }>> = {
  '4242424242424242': { outcome: 'success' },
  '4000000000000002': { outcome: 'declined', code: 'card_declined', message: 'Your card was declined.' },
  '4000000000009995': { outcome: 'declined', code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  '4000000000000069': { outcome: 'declined', code: 'expired_card', message: 'Your card has expired.' },
  '4000000000000127': { outcome: 'declined', code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
};

/** A number not listed above: the spec's default scenario. */
const UNKNOWN_CARD = { outcome: 'success' } as const;
const CARD_NUMBER = /^[0-9]{12,19}$/;

const hex = (n: number) => randomBytes(n).toString('hex');

export interface TestGatewayOptions {
  /** Held before the gateway answers a charge (tests: a slow gateway, an answer past the stale window). */
  answerDelay?: (req: ChargeRequest) => Promise<void>;
}

/**
 * In-process gateway for development and tests. Deterministic by card number, and idempotent
 * like a real gateway: the same idempotency key returns the first answer instead of charging
 * again (`chargeCount` counts real charges, so tests can prove "charged once"), and a key whose
 * first call is still being answered is refused as Stripe does (409, idempotency key in use).
 */
/**
 * How many idempotency keys' answers the test gateway keeps, newest first. A real gateway forgets
 * keys too (Stripe after 24 h); kept without a bound, the answers grew the payment process by
 * ~0.6 KB per charge (+23 MB over a 10-minute soak of 37,000 checkouts). At the benchmark's
 * ~60 charges/s this is ~5 minutes of keys, far longer than a retry or a stale attempt's
 * look-up waits; a key forgotten before its look-up reads `not_found`, as a gateway's would.
 */
export const TEST_GATEWAY_REMEMBERED_KEYS = 20_000;

export class TestGateway implements PaymentGateway {
  readonly name = 'test_gateway';
  private readonly answers = new Map<string, ChargeResult>();
  private readonly inFlight = new Set<string>();
  private charges = 0;

  constructor(private readonly opts: TestGatewayOptions = {}) {}

  get chargeCount(): number {
    return this.charges;
  }

  validateInput(input: PaymentInput): void {
    if (!input.cardNumber) throw invalid('CARD_NUMBER_REQUIRED', 'card_number is required for the test gateway');
    // Any other well-formed number succeeds, as the spec's test gateway does (its default
    // scenario); only something that cannot be a card number is refused.
    if (!CARD_NUMBER.test(normalizeCardNumber(input.cardNumber))) {
      throw invalid('INVALID_CARD', 'card_number must be 12 to 19 digits', { card_last4: cardLast4(input.cardNumber) });
    }
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    const earlier = this.answers.get(req.idempotencyKey);
    if (earlier) return earlier;
    if (this.inFlight.has(req.idempotencyKey)) {
      throw conflict('GATEWAY_IDEMPOTENCY_CONFLICT', 'a request with this idempotency key is still in progress');
    }
    this.validateInput(req.input);
    const number = normalizeCardNumber(req.input.cardNumber as string);
    const card = TEST_CARDS[number] ?? UNKNOWN_CARD;
    this.charges += 1;
    if (this.opts.answerDelay) {
      this.inFlight.add(req.idempotencyKey);
      try {
        await this.opts.answerDelay(req);
      } finally {
        this.inFlight.delete(req.idempotencyKey);
      }
    }
    const raw = { test_card_last4: number.slice(-4), scenario: card.outcome === 'success' ? 'success' : card.code, amount: req.amount };
    const result: ChargeResult =
      card.outcome === 'success'
        ? { status: 'succeeded', transactionId: `test_txn_${hex(6)}`, reference: `test_ref_${hex(4)}`, raw }
        : { status: 'declined', code: card.code, message: card.message, raw };
    this.answers.set(req.idempotencyKey, result);
    // Map keeps insertion order: the first key is the oldest.
    if (this.answers.size > TEST_GATEWAY_REMEMBERED_KEYS) this.answers.delete(this.answers.keys().next().value as string);
    return result;
  }

  /** From its own state: the answer it gave, in flight, or never seen. */
  async lookup(req: LookupRequest): Promise<LookupResult> {
    const answer = this.answers.get(req.idempotencyKey);
    if (answer && answer.status !== 'pending') return answer;
    if (this.inFlight.has(req.idempotencyKey)) return { status: 'processing', raw: { in_flight: true } };
    return { status: 'not_found', raw: {} };
  }

  /** Idempotent like a real gateway: the same key answers with the first refund. */
  async refund(req: RefundRequest): Promise<RefundResult> {
    const earlier = this.refundAnswers.get(req.idempotencyKey);
    if (earlier) return earlier;
    this.refundsMade += 1;
    const result: RefundResult = { gatewayRefundId: `test_refund_${hex(6)}`, raw: { amount: req.amount, transaction_id: req.transactionId } };
    this.refundAnswers.set(req.idempotencyKey, result);
    this.refundsById.set(req.refundId, result);
    return result;
  }

  /** Refunds really made (a replayed key is not one): tests prove "refunded once" with it. */
  get refundCount(): number {
    return this.refundsMade;
  }

  /** From its own state: the refund it made for this refund id, or none. */
  async lookupRefund(req: RefundLookupRequest): Promise<RefundLookupResult> {
    const made = this.refundsById.get(req.refundId);
    return made ? { status: 'succeeded', gatewayRefundId: made.gatewayRefundId, raw: made.raw } : { status: 'not_found', raw: {} };
  }

  private readonly refundAnswers = new Map<string, RefundResult>();
  private readonly refundsById = new Map<string, RefundResult>();
  private refundsMade = 0;

  async void(): Promise<void> {
    // Test charges capture at once: nothing is ever held.
  }
}
