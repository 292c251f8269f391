import { topicsOutlastingInbox } from '../../src/service/inbox-retention';

const HOUR_MS = 3_600_000;

describe('topicsOutlastingInbox', () => {
  const topics = new Map([
    ['order.events', 168 * HOUR_MS], // Kafka's default week
    ['inventory.commands', 24 * HOUR_MS],
    ['payment.events', -1], // kept forever
  ]);

  it('names the topics whose messages the broker keeps at least as long as the inbox keeps its rows', () => {
    expect(topicsOutlastingInbox(topics, 168 * HOUR_MS)).toEqual([
      { topic: 'order.events', retention_ms: 168 * HOUR_MS },
      { topic: 'payment.events', retention_ms: -1 },
    ]);
  });

  it('names only a topic kept forever when the inbox outlasts every finite retention (the default two weeks)', () => {
    expect(topicsOutlastingInbox(topics, 336 * HOUR_MS)).toEqual([{ topic: 'payment.events', retention_ms: -1 }]);
  });

  it('names none when the inbox keeps every row', () => {
    expect(topicsOutlastingInbox(topics, 0)).toEqual([]);
  });
});
