// Subscribes consumer declarations on a bus, as the kernel does at start (and tests that run a
// service's consumers on a bus of their own): the group and topics get the deployment's prefix.
import { consumerGroupName, topicName } from '../messaging/contracts';
import type { KafkaBus, Subscription } from '../messaging/kafka-bus';
import type { Consumer } from './definition';

export async function subscribeConsumers(bus: KafkaBus, consumers: readonly Consumer[], topicPrefix: string): Promise<Subscription[]> {
  const subscriptions: Subscription[] = [];
  for (const consumer of consumers) {
    subscriptions.push(
      await bus.subscribe({
        groupId: consumerGroupName(topicPrefix, consumer.name),
        topics: consumer.topics.map((t) => topicName(topicPrefix, t)),
        fromBeginning: consumer.fromBeginning ?? true,
        ...(consumer.partitionsConcurrently !== undefined ? { partitionsConcurrently: consumer.partitionsConcurrently } : {}),
        handle: consumer.handle,
        ...(consumer.handleBatch ? { handleBatch: consumer.handleBatch } : {}),
        ...(consumer.gather ? { gather: consumer.gather } : {}),
      }),
    );
  }
  return subscriptions;
}
