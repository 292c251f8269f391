// The order service as the kernel runs it (@sudamall/shared/service): REST for people (orders,
// accounts, the saga dashboard), gRPC for cart and payment, the saga's reply consumer, its timers,
// and the live feed of /ws/orders/ and /ws/stores/.
import { order as pb } from '@sudamall/proto';
import { ALL_TOPICS, LiveHub } from '@sudamall/shared';
import { defineService } from '@sudamall/shared/service';
import { loadConfig } from './config';
import { createContainer } from './container';
import { orderGrpcService } from './grpc/order-grpc';
import { buildApp } from './http/app';
import { sagaReplyConsumer } from './infra/saga-consumer';
import { sagaSweepJob } from './infra/saga-sweeper';
import { registerOrderGauges } from './infra/service-metrics';
import { OrderLiveFeed } from './live/order-live-feed';

export const orderService = defineService({
  name: 'order',
  loadConfig,
  createContainer: (config, logger) => createContainer(config, logger),
  http: (c, { auth, logger, ready }) => buildApp({ useCases: c.useCases, auth, logger, ready, metrics: true }),
  grpc: (c) => [{ definition: pb.OrderServiceService, implementation: orderGrpcService(c.useCases) }],
  topics: ALL_TOPICS,
  consumers: (c, { config, logger }) => [sagaReplyConsumer(config.SAGA_CONSUMER_GROUP, c.useCases.handleSagaReply, logger)],
  // Its writes go through the outbox, so the kernel drains it before the relay's last flush.
  jobs: (c, { config }) => [sagaSweepJob(config.SAGA_SWEEP_INTERVAL_MS, c.useCases.sweepSagas)],
  live: (c, { config, logger }) => {
    // /ws/orders/{user_id}/ and /ws/stores/{store_id}/orders/ (see src/live): pushed from this instance's own read of order.events.
    const feed = new OrderLiveFeed(new LiveHub({ logger }), c.useCases.store, c.useCases.clock, logger);
    return [
      {
        routes: { hub: feed.hub, streams: [feed.stream(), feed.storeStream()] },
        start: () => feed.start(c.bus, config.KAFKA_TOPIC_PREFIX),
        stop: () => feed.stop(),
      },
    ];
  },
  metrics: (c) => registerOrderGauges(c.sql, c.logger),
});
