// Builds a use case over a stores/ports bag as the container does, for tests that swap one part
// (a fake store, a clock an hour ahead) and call the use case directly.
import { ChargeOutcomes } from '../../src/app/charge-outcome';
import type { UseCaseDeps } from '../../src/app/deps';
import { RefundDuplicateCaptures } from '../../src/app/duplicate-captures';
import { ProcessPayment } from '../../src/app/process-payment';
import { ResumeStalePayments } from '../../src/app/resume-stale-payments';

function chargeOutcomes(d: UseCaseDeps): ChargeOutcomes {
  const duplicates = new RefundDuplicateCaptures(d.duplicateCaptures, d.gateways, d.clock, d.logger, d.settings.staleProcessingSeconds);
  return new ChargeOutcomes(d.charges, d.gateways, duplicates, d.logger);
}

export function processPaymentOver(d: UseCaseDeps): ProcessPayment {
  return new ProcessPayment(d.payments, d.charges, d.orders, d.gateways, chargeOutcomes(d), d.clock, d.logger, d.settings.staleProcessingSeconds);
}

export function resumeStalePaymentsOver(d: UseCaseDeps): ResumeStalePayments {
  return new ResumeStalePayments(d.payments, d.charges, d.orders, d.gateways, chargeOutcomes(d), d.clock, d.logger, d.settings.staleProcessingSeconds);
}
