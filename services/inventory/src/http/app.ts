// The REST application as a function of its dependencies (tests use app.inject on it; the kernel
// listens): the shared plugins in their one order (createServiceApp), then the product routes.
import { createServiceApp, type Logger, type ParkedMessages, type VerifierOptions } from '@sudamall/shared';
import type { FastifyInstance } from 'fastify';
import type { CatalogueUseCases } from '../container';
import { productRoutes } from './routes/products';

export interface AppDeps {
  useCases: CatalogueUseCases;
  auth: VerifierOptions;
  /** Readiness (false while starting or draining). */
  ready?: () => boolean | Promise<boolean>;
  logger?: Logger;
  /** The commands consumer's parked messages (admin endpoints); tests may leave them out. */
  parked?: ParkedMessages;
}

export const API_PREFIX = '/api/v1/products';

export function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  return createServiceApp({
    service: 'inventory',
    openApi: {
      title: 'Sudamall inventory',
      version: '1.0.0',
      prefix: API_PREFIX,
      description: 'Products, stock and history. Money is a decimal string ("19.99").',
    },
    auth: deps.auth,
    logger: deps.logger,
    ready: deps.ready,
    bodyLimit: 1024 * 1024,
    parked: deps.parked,
    routes: async (app) => {
      await app.register(productRoutes, { prefix: API_PREFIX, useCases: deps.useCases });
    },
  });
}
