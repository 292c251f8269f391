// What the cart service is made of; the kernel runs it in the one order every service shares
// (docs/architecture.md, "The service kernel").
import { cart } from '@sudamall/proto';
import { LiveHub, Topics } from '@sudamall/shared';
import { defineService } from '@sudamall/shared/service';
import { loadConfig } from './config';
import { createContainer } from './container';
import { cartServiceImplementation } from './grpc/cart-service';
import { buildApp } from './http/app';
import { cartConsumers } from './infra/consumers';
import { CartLiveFeed } from './live/cart-live-feed';

export const cartService = defineService({
  name: 'cart',
  loadConfig,
  createContainer,
  http: (c, { auth, logger, ready }) => buildApp({ useCases: c.useCases, parked: c.parked, auth, logger, ready, metrics: true }),
  grpc: (c) => [{ definition: cart.CartServiceService, implementation: cartServiceImplementation(c.useCases) }],
  // Cart publishes nothing (no outbox relay). Without CONSUMERS_ENABLED (the benchmark) the
  // container has no bus, and neither topics nor consumers are started.
  topics: [Topics.inventoryEvents, Topics.orderEvents],
  consumers: (c, { logger }) => cartConsumers(c.useCases, logger),
  live: (c, { config, logger }) => {
    // /ws/cart/{user_id}/ (see src/live): every instance LISTENs to the cart's own change notifications.
    const feed = new CartLiveFeed(new LiveHub({ logger }), c.useCases.getCart, c.carts, logger, { databaseUrl: config.DATABASE_URL });
    return [{ routes: { hub: feed.hub, streams: [feed.stream()] }, start: () => feed.start(), stop: () => feed.stop() }];
  },
});
