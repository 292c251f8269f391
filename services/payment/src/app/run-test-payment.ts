import { randomUUID } from 'node:crypto';
import { invalid } from '@sudamall/shared';
import { calculateCharges } from '../domain/fees';
import { cardLast4, normalizeCardNumber } from '../domain/card';
import type { GatewayRegistry, GatewayStore } from './ports';

export interface TestPaymentResult {
  gateway: string;
  amount: string;
  gatewayFee: string;
  totalAmount: string;
  cardLast4: string | null;
  outcome: 'succeeded' | 'failed';
  failureCode: string | null;
  failureMessage: string | null;
  transactionId: string | null;
}

/** Test mode: one charge at the test gateway with no order and nothing stored (a smoke test). */
export class RunTestPayment {
  constructor(
    private readonly gatewayStore: GatewayStore,
    private readonly gateways: GatewayRegistry,
    private readonly currency: string,
  ) {}

  async execute(input: { amount: string; cardNumber: string }): Promise<TestPaymentResult> {
    const gatewayRow = await this.gatewayStore.findGateway('test_gateway');
    const gateway = this.gateways.get('test_gateway');
    if (!gatewayRow || !gateway) throw invalid('GATEWAY_NOT_AVAILABLE', 'the test gateway is not configured');
    const cardNumber = normalizeCardNumber(input.cardNumber);
    gateway.validateInput({ cardNumber });
    const charges = calculateCharges(input.amount, gatewayRow);
    const id = randomUUID();
    const result = await gateway.charge({
      paymentId: id,
      orderId: `test-${id}`,
      attemptNumber: 1,
      idempotencyKey: `test:${id}`,
      amount: charges.totalAmount,
      currency: this.currency,
      input: { cardNumber },
      previousReference: null,
    });
    return {
      gateway: gateway.name,
      amount: charges.amount,
      gatewayFee: charges.gatewayFee,
      totalAmount: charges.totalAmount,
      cardLast4: cardLast4(cardNumber),
      outcome: result.status === 'succeeded' ? 'succeeded' : 'failed',
      failureCode: result.status === 'declined' ? result.code : null,
      failureMessage: result.status === 'declined' ? result.message : null,
      transactionId: result.status === 'succeeded' ? result.transactionId : null,
    };
  }
}
