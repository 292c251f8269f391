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
  VoidRequest,
} from '../../app/ports';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A gateway that acts at once but answers late (PAYMENT_TEST_GATEWAY_DELAY_MS, test mode only):
 * the slow-gateway drill (chaos/scenarios/08-slow-gateway) runs the built service against it.
 * Charges, refunds and voids are slow, errors included; lookups answer at once, like a gateway's
 * read API while its write path is congested.
 */
export class DelayedGateway implements PaymentGateway {
  readonly name: string;

  constructor(
    private readonly inner: PaymentGateway,
    private readonly delayMs: number,
  ) {
    this.name = inner.name;
  }

  validateInput(input: PaymentInput): void {
    this.inner.validateInput(input);
  }

  charge(req: ChargeRequest): Promise<ChargeResult> {
    return this.late(() => this.inner.charge(req));
  }

  refund(req: RefundRequest): Promise<RefundResult> {
    return this.late(() => this.inner.refund(req));
  }

  void(req: VoidRequest): Promise<void> {
    return this.late(() => this.inner.void(req));
  }

  lookup(req: LookupRequest): Promise<LookupResult> {
    return this.inner.lookup(req);
  }

  lookupRefund(req: RefundLookupRequest): Promise<RefundLookupResult> {
    return this.inner.lookupRefund(req);
  }

  private async late<T>(call: () => Promise<T>): Promise<T> {
    const settled = await call().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await sleep(this.delayMs);
    if (settled.ok) return settled.value;
    throw settled.error;
  }
}
