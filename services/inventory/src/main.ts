// Inventory service process: telemetry first (it must patch modules before they load), then
// config, container, HTTP + gRPC + Kafka consumer + outbox relay + expiry sweeper; SIGTERM
// drains gracefully (not ready → stop accepting → finish in-flight work → close).
import { startTelemetry } from '@sudamall/shared/telemetry';

const telemetry = startTelemetry({ serviceName: 'inventory', otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT });

// eslint-disable-next-line @typescript-eslint/no-require-imports
const main = async () => (require('./server') as typeof import('./server')).runServer(telemetry);
main().catch((err: unknown) => {
  // Config errors name every bad variable; print them plainly and exit non-zero.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
