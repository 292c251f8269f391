// What a gateway's answer means for an attempt and its payment (domain/charge-answer.ts), with
// plain values: the store only applies the plan.
import { chargeAnswer, type AnsweredPayment } from '../../src/domain/charge-answer';

const processing: AnsweredPayment = { status: 'processing', attemptCount: 2, gatewayReference: 'ref_old', metadata: { note: 'kept' } };

describe('chargeAnswer', () => {
  it('a capture settles whichever attempt it belongs to, and changes nothing else itself', () => {
    for (const attempt of [2, 1]) {
      expect(chargeAnswer(processing, attempt, { status: 'succeeded', transactionId: 'txn', reference: 'pi', raw: {} })).toEqual({
        attempt: { status: 'succeeded', response: 'replace', completed: true },
        capture: { transactionId: 'txn', reference: 'pi' },
        payment: null,
        announce: null,
        closeRequestedVoid: false,
      });
    }
  });

  it('a decline of the current attempt fails the payment, announces payment.failed and closes a requested void', () => {
    const plan = chargeAnswer(processing, 2, { status: 'declined', code: 'card_declined', message: 'no', raw: {} });
    expect(plan).toEqual({
      attempt: { status: 'failed', response: 'replace', completed: true, failureCode: 'card_declined', failureReason: 'no' },
      capture: null,
      payment: { status: 'failed', failureReason: 'card_declined', gatewayReference: 'ref_old' },
      announce: 'payment.failed',
      closeRequestedVoid: true,
    });
    expect(chargeAnswer(processing, 2, { status: 'declined', code: 'x', message: 'y', reference: 'ref_new', raw: {} }).payment?.gatewayReference).toBe(
      'ref_new',
    );
  });

  it('a late answer for an attempt the payment moved past changes that attempt only', () => {
    for (const result of [
      { status: 'declined', code: 'card_declined', message: 'no', raw: {} },
      { status: 'requires_action', reference: 'pi', raw: {} },
      { status: 'pending', raw: {} },
      { status: 'processing', reference: 'pi', raw: {} },
    ] as const) {
      const older = chargeAnswer(processing, 1, result);
      const notProcessing = chargeAnswer({ ...processing, status: 'failed' }, 2, result);
      for (const plan of [older, notProcessing]) expect([plan.payment, plan.announce, plan.closeRequestedVoid]).toEqual([null, null, false]);
    }
  });

  it('a payer to wait for: the payment goes back to pending with the action url, and a requested void closes it', () => {
    const plan = chargeAnswer(processing, 2, { status: 'requires_action', reference: 'pp_order', actionUrl: 'https://pay.test/a', raw: {} });
    expect(plan.attempt).toEqual({ status: 'requires_action', response: 'replace', completed: true });
    expect(plan.payment).toEqual({ status: 'pending', gatewayReference: 'pp_order', metadata: { note: 'kept', action_url: 'https://pay.test/a' } });
    expect([plan.announce, plan.closeRequestedVoid]).toEqual([null, true]);
    expect(chargeAnswer(processing, 2, { status: 'requires_action', reference: 'r', raw: {} }).payment?.metadata).toEqual({ note: 'kept', action_url: null });
  });

  it('cash on delivery: the payment waits for the cash and payment.succeeded goes out at once (the order ships)', () => {
    const plan = chargeAnswer(processing, 2, { status: 'pending', raw: { cod: true } });
    expect(plan).toEqual({
      attempt: { status: 'awaiting_collection', response: 'replace', completed: true },
      capture: null,
      payment: { status: 'pending', gatewayReference: null, metadata: { note: 'kept', awaiting_collection: true } },
      announce: 'payment.succeeded',
      closeRequestedVoid: false,
    });
  });

  it('still in flight: the attempt stays open (its answer merged), the payment keeps its status and records the reference', () => {
    expect(chargeAnswer(processing, 2, { status: 'processing', reference: 'pi_new', raw: {} })).toEqual({
      attempt: { response: 'merge', completed: false },
      capture: null,
      payment: { gatewayReference: 'pi_new' },
      announce: null,
      closeRequestedVoid: false,
    });
  });
});
