import { randomUUID } from 'node:crypto';
import { invalid } from '@sudamall/shared';
import { calculateCharges } from '../domain/fees';
import { cardLast4, normalizeCardNumber } from '../domain/card';
import type { UseCaseDeps } from './deps';

export interface TestPaymentResult {
  gateway: string;
  amount: string;
  gateway_fee: string;
  total_amount: string;
  card_last4: string | null;
  outcome: 'succeeded' | 'failed';
  failure_code: string | null;
  failure_message: string | null;
  transaction_id: string | null;
}

/** Test mode: one charge at the test gateway with no order and nothing stored (a smoke test). */
export async function runTestPayment(deps: UseCaseDeps, input: { amount: string; cardNumber: string }): Promise<TestPaymentResult> {
  const gatewayRow = await deps.repo.findGateway('test_gateway');
  const gateway = deps.gateways.get('test_gateway');
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
    currency: deps.settings.currency,
    input: { cardNumber },
    previousReference: null,
  });
  return {
    gateway: gateway.name,
    amount: charges.amount,
    gateway_fee: charges.gatewayFee,
    total_amount: charges.totalAmount,
    card_last4: cardLast4(cardNumber),
    outcome: result.status === 'succeeded' ? 'succeeded' : 'failed',
    failure_code: result.status === 'declined' ? result.code : null,
    failure_message: result.status === 'declined' ? result.message : null,
    transaction_id: result.status === 'succeeded' ? result.transactionId : null,
  };
}
