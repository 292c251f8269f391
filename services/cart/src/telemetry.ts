// Imported first by main.ts: tracing must patch http, pg, grpc and kafkajs before they load.
import { startTelemetry } from '@sudamall/shared/telemetry';

export const telemetry = startTelemetry({ serviceName: 'cart', otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT });
