// `@sudamall/shared/service`: one way to declare and run a service. A service's main.ts is
//   runService('cart', () => require('./service').cartService);
// This entry loads nothing that telemetry instruments (types, every, defineService): runService
// starts telemetry first, and only then requires the kernel and the service's own modules.
import type { KernelConfig, ServiceContainer, ServiceDefinition } from './service/definition';
import type * as Kernel from './service/start';
import type { RunningService, StartOptions } from './service/start';
import { startTelemetry } from './telemetry';

export { defineService } from './service/definition';
export type { Consumer, KernelConfig, LiveFeed, PublishingServiceContainer, ServiceContainer, ServiceDefinition, ServiceKit } from './service/definition';
export { every, jitteredDelay, type EveryOptions, type Job } from './service/every';
export { subscribeConsumers } from './service/consumers';
export type { RunningService, StartOptions } from './service/start';

/**
 * Starts telemetry, then loads the service (`load` requires its module) and runs it; a failed
 * start prints the error (a config error: the message naming every bad variable) and exits 1.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any service's config and container
export function runService(name: string, load: () => ServiceDefinition<any, any>): void {
  const telemetry = startTelemetry({ serviceName: name, otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined });
  Promise.resolve()
    .then(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after telemetry on purpose
      const { startService } = require('./service/start') as typeof Kernel;
      await startService(load(), { telemetry });
    })
    .catch((err: unknown) => {
      console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
      process.exit(1);
    });
}

/** In-process start (tests, tools): the same kernel without telemetry. */
export async function startService<Config extends KernelConfig, C extends ServiceContainer>(
  def: ServiceDefinition<Config, C>,
  opts: StartOptions<Config> = {},
): Promise<RunningService<Config, C>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see runService
  return (require('./service/start') as typeof Kernel).startService(def, opts);
}
