// The inventory service as the kernel runs it (@sudamall/shared/service): REST for people, gRPC
// for the other services, inventory.commands from the sagas, the expiry sweeper.
import { ALL_TOPICS } from '@sudamall/shared';
import { defineService, every } from '@sudamall/shared/service';
import { inventory as pb } from '@sudamall/proto';
import { loadConfig } from './config';
import { createContainer } from './container';
import { inventoryGrpcService } from './grpc/inventory-service';
import { buildApp } from './http/app';
import { commandsConsumer } from './infra/commands-consumer';
import { registerInventoryGauges } from './infra/service-metrics';

export const inventoryService = defineService({
  name: 'inventory',
  loadConfig,
  createContainer,
  http: (c, kit) => buildApp({ useCases: c.useCases, parked: c.parked, auth: kit.auth, ready: kit.ready, logger: kit.logger }),
  grpc: (c) => [{ definition: pb.InventoryServiceService, implementation: inventoryGrpcService(c) }],
  topics: ALL_TOPICS,
  consumers: (c) => [commandsConsumer(c)],
  // Gives back the stock of reservations nobody confirmed or released in time.
  jobs: (c, { config }) => [every(config.RESERVATION_SWEEP_MS, 'expiry sweeper', () => c.reservations.releaseExpired.execute())],
  metrics: (c) => registerInventoryGauges(c.sql, c.logger),
});
