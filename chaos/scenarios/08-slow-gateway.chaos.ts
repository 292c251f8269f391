// A slow gateway under the steady checkout stream: the test gateway acts at once but answers
// every charge, refund and void 11 s late (PAYMENT_TEST_GATEWAY_DELAY_MS), longer than a Kafka
// consumer's 10 s session. The payment window is shorter than that (8 s), so a charge started in
// the window is captured after the order expired: the saga answers each late capture with a
// payment.refund command, whose gateway call is slow too. Had that call run inside the Kafka
// handler, each one would outlast the session, throw payment out of its consumer group and stall
// every order hashed to that partition (a rebalance storm). Payment's consumer group must stay
// Stable with its one member throughout, no refund or charge may happen twice, none stays
// pending, and the checker must find nothing.
import { Kafka, logLevel } from 'kafkajs';
import { consumerGroupName } from '@sudamall/shared';
import { sleep, startChaosRun, type ChaosRun } from '../src/harness';

const GATEWAY_DELAY_MS = 11_000;
let run: ChaosRun;
beforeAll(async () => {
  run = await startChaosRun('slow-gateway', {
    // Shorter than a charge's answer: paid orders expire first and are refunded by the saga. A
    // charge still waiting for its answer must not look stale to the recovery sweep (30 s).
    paymentWindowSeconds: 8,
    env: {
      payment: {
        PAYMENT_TEST_GATEWAY_DELAY_MS: String(GATEWAY_DELAY_MS),
        PAYMENT_STALE_PROCESSING_SECONDS: '30',
      },
    },
  });
}, 180_000);
afterAll(async () => {
  await run?.close();
});

/** Polls the payment service's consumer group: every state it passes through, every member id. */
function watchGroup(groupId: string) {
  const kafka = new Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'chaos-slow-gateway', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const states: Record<string, number> = {};
  const members = new Set<string>();
  let stopped = false;
  const done = (async () => {
    await admin.connect();
    while (!stopped) {
      try {
        const { groups } = await admin.describeGroups([groupId]);
        const g = groups[0];
        if (g) {
          states[g.state] = (states[g.state] ?? 0) + 1;
          for (const m of g.members) members.add(m.memberId);
        }
      } catch {
        states.unreadable = (states.unreadable ?? 0) + 1; // the broker did not answer: not a rebalance
      }
      await sleep(500);
    }
    await admin.disconnect();
  })();
  return {
    states,
    members,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

test(`a gateway that answers ${GATEWAY_DELAY_MS / 1000} s late (past the 10 s Kafka session) causes no rebalance and nothing twice`, async () => {
  const group = watchGroup(consumerGroupName(run.platform.topicPrefix, 'payment-service'));
  // Declined cards too: their decline is answered after the order's payment.void, which payment
  // keeps on the charge in flight and answers when it ends (the payment closes expired, so the
  // cancelled order leaves no chargeable payment; the retry with a good card is refused). Every
  // paid order here expires first and is refunded by the saga.
  const load = run.startLoad({
    durationMs: 60_000,
    concurrency: 8,
    mix: { pay: 4, double_pay: 2, cancel_while_paying: 2, cancel: 1, abandon: 1, decline_then_pay: 2 },
  });
  const sampled: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 4; i++) {
    await sleep(15_000);
    const [refunds] = await run.query<{ pending: number; completed: number; in_flight_calls: number }>(
      'payment',
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'completed')::int AS completed,
              count(*) FILTER (WHERE status = 'pending' AND last_attempt_at IS NOT NULL)::int AS in_flight_calls FROM refunds`,
    );
    sampled.push({ at_s: (i + 1) * 15, in_flight: await run.inFlight(), refunds, group_states: { ...group.states }, group_members: group.members.size });
    run.say(`t+${(i + 1) * 15}s: refunds ${JSON.stringify(refunds)}, payment group states seen ${JSON.stringify(group.states)}, members ${group.members.size}`);
  }
  const result = await load;
  // The last late captures' refunds are still on their way (11 s each): let them land first.
  const settleFrom = Date.now();
  for (let pending = 1; pending > 0 && Date.now() - settleFrom < 90_000;) {
    await sleep(1_000);
    [{ pending }] = await run.query<{ pending: number }>('payment', `SELECT count(*)::int AS pending FROM refunds WHERE status = 'pending'`);
  }
  run.say(`pending refunds settled ${Date.now() - settleFrom} ms after the load`);
  const report = await run.verdict(result, { gateway_delay_ms: GATEWAY_DELAY_MS, samples: sampled }, 150_000);
  await group.stop();

  const [refunds] = await run.query<{ total: number; saga: number; retried: number; pending: number }>(
    'payment',
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE requested_by = 'saga')::int AS saga,
            count(*) FILTER (WHERE attempt_count > 1)::int AS retried, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM refunds`,
  );
  // One saga refund per payment at most, and never more refunded than charged.
  const twice = await run.query('payment', `SELECT payment_id, count(*)::int AS n FROM refunds WHERE requested_by = 'saga' GROUP BY 1 HAVING count(*) > 1`);
  const over = await run.query('payment', `SELECT payment_id FROM payments WHERE refunded_amount > total_amount`);
  const charges = await run.query(
    'payment',
    `SELECT payment_id, count(*)::int AS n FROM payment_attempts WHERE status = 'succeeded' GROUP BY 1 HAVING count(*) > 1`,
  );
  run.say(`refunds ${JSON.stringify(refunds)}; payment group states ${JSON.stringify(group.states)}, distinct members ${group.members.size}`);

  expect(refunds.saga).toBeGreaterThan(0); // the slow path was exercised
  expect(refunds.pending).toBe(0);
  expect(twice).toEqual([]);
  expect(over).toEqual([]);
  expect(charges).toEqual([]);
  // One member, never thrown out: a session timeout would show a new member id and a
  // PreparingRebalance/CompletingRebalance state.
  expect(group.members.size).toBe(1);
  expect(Object.keys(group.states).filter((s) => s !== 'unreadable')).toEqual(['Stable']);
  expect(report.violations).toEqual([]);
});
