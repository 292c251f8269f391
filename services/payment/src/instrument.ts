// Loaded first by main.ts (CommonJS keeps import order): the instrumentations patch http, grpc,
// pg, kafkajs and ioredis as they are required, so nothing they instrument may load before this.
// It reads OTEL_EXPORTER_OTLP_ENDPOINT itself, before config, on purpose.
import { startTelemetry } from '@sudamall/shared/telemetry';

export const telemetry = startTelemetry({
  serviceName: 'payment',
  otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
});
