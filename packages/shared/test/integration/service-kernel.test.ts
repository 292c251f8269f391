// The kernel in-process, against the real PostgreSQL and Kafka: a declaration's parts start in
// the one order (container → HTTP → gRPC → topics and consumers → jobs → live feeds → listen →
// ready), its consumer group gets the deployment's prefix, and SIGTERM runs the shutdown plan
// built from the same parts (not ready → drain → close the container → telemetry → exit 0).
import { EventEmitter } from 'node:events';
import { Type } from '@sinclair/typebox';
import { BaseEnv, loadConfig } from '../../src/config';
import { createSql } from '../../src/db/sql-runner';
import { createServiceApp } from '../../src/http/service-app';
import { createLogger } from '../../src/logging';
import { Topics, topicName } from '../../src/messaging/contracts';
import { createEnvelope } from '../../src/messaging/envelope';
import { createParkedMessages, createServiceMessaging } from '../../src/messaging/service-messaging';
import { defineService, every, startService, type ServiceKit } from '../../src/service';
import { eventually, TEST_JWT_SECRET, testTopicPrefix, uniqueId } from '../../src/testing';
import { TEST_DATABASE_URL, testLogger } from '../support/env';
import { collectLines } from '../support/log-lines';

const TestEnv = Type.Object({ ...BaseEnv.properties, HTTP_PORT: Type.Integer({ default: 0 }), GRPC_PORT: Type.Integer({ default: 0 }) });
const prefix = testTopicPrefix();
const config = loadConfig(TestEnv, {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  HTTP_HOST: '127.0.0.1',
  GRPC_HOST: '127.0.0.1',
  DATABASE_URL: TEST_DATABASE_URL,
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  KAFKA_TOPIC_PREFIX: prefix,
  JWT_SECRET: TEST_JWT_SECRET,
  SHUTDOWN_READINESS_GRACE_MS: '0',
});

it('starts the parts in order, serves, and shuts down through the plan built from them', async () => {
  const steps: string[] = [];
  const handled: string[] = [];
  const service = defineService({
    name: 'kernel-test',
    loadConfig: () => config,
    createLogger: () => testLogger,
    createContainer: (cfg, logger) => {
      steps.push('container');
      const sql = createSql(cfg.DATABASE_URL, 2);
      const parked = createParkedMessages(sql, logger);
      const messaging = createServiceMessaging({ service: 'kernel-test', config: cfg, logger, parked });
      return {
        sql,
        parked,
        bus: messaging.bus,
        ping: () => sql.query('SELECT 1'),
        async close() {
          steps.push('container closed');
          await messaging.close();
          await sql.close();
        },
      };
    },
    http: async (_c, kit) => {
      steps.push('http');
      const app = await testApp('kernel-test', kit, async (a) => {
        a.get('/api/v1/kernel-test/hello', async () => ({ hello: 'world' }));
      });
      app.addHook('onListen', async () => void steps.push('listen'));
      app.addHook('onClose', async () => void steps.push('http closed'));
      return app;
    },
    grpc: () => {
      steps.push('grpc');
      return [];
    },
    topics: [Topics.orderEvents],
    consumers: () => {
      steps.push('consumers');
      return [{ name: 'kernel-test-group', topics: [Topics.orderEvents], handle: async (envelope) => void handled.push(envelope.id) }];
    },
    jobs: () => {
      steps.push('jobs');
      const job = every(20, 'test sweep', async () => undefined);
      return [{ ...job, stop: async () => (await job.stop(), void steps.push('job stopped')) }];
    },
    live: () => [{ start: () => void steps.push('live started'), stop: () => void steps.push('live stopped') }],
  });

  const signals = new EventEmitter();
  let exited!: (code: number) => void;
  const exitCode = new Promise<number>((r) => (exited = r));
  const telemetry = { shutdown: async () => void steps.push('telemetry') };
  const running = await startService(service, { telemetry, shutdown: { source: signals, exit: (code) => exited(code) } });

  expect(steps).toEqual(['container', 'http', 'grpc', 'consumers', 'jobs', 'live started', 'listen']);
  expect(await running.ready()).toBe(true);
  expect((await running.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  expect((await running.app.inject({ url: '/api/v1/kernel-test/hello/' })).json()).toEqual({ hello: 'world' });
  expect(running.grpc?.port).toBeGreaterThan(0);
  // The group as the services name theirs: the deployment's prefix before the declared name.
  expect(running.subscriptions.map((s) => s.groupId)).toEqual([`${prefix}kernel-test-group`]);

  const envelope = createEnvelope('order.cancelled', uniqueId('o'), { order_id: 'o-1', user_id: 'u-1', reason: 'kernel test' });
  await running.container.bus.publish(topicName(prefix, Topics.orderEvents), [envelope]);
  await eventually(() => expect(handled).toContain(envelope.id), { timeoutMs: 30_000 });

  steps.length = 0;
  signals.emit('SIGTERM');
  expect(await exitCode).toBe(0);
  expect(await running.ready()).toBe(false);
  // Drained together (any order among them), then the container, then telemetry.
  expect(steps.slice(0, 3).sort()).toEqual(['http closed', 'job stopped', 'live stopped']);
  expect(steps.slice(3)).toEqual(['container closed', 'telemetry']);
}, 60_000);

it("runs the inbox retention beside the service's jobs, and warns of a consumed topic the broker keeps longer than the inbox", async () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ name: 'kernel-test', level: 'info', destination: collectLines(lines) });
  // An hour's inbox against the broker's topics (a day here, a week by Kafka's default).
  const short = { ...config, INBOX_RETENTION_HOURS: 1, LOG_LEVEL: 'info' };
  const service = defineService({
    name: 'kernel-retention-test',
    loadConfig: () => short,
    createLogger: () => logger,
    createContainer: (cfg, log) => {
      const sql = createSql(cfg.DATABASE_URL, 2);
      const parked = createParkedMessages(sql, log);
      const messaging = createServiceMessaging({ service: 'kernel-retention-test', config: cfg, logger: log, parked });
      return { sql, parked, bus: messaging.bus, close: async () => (await messaging.close(), await sql.close()) };
    },
    http: async (_c, kit) => testApp('kernel-retention-test', kit, async () => undefined),
    topics: [Topics.orderEvents],
    consumers: () => [{ name: 'kernel-retention-group', topics: [Topics.orderEvents], handle: async () => undefined }],
  });
  const signals = new EventEmitter();
  let exited!: (code: number) => void;
  const exitCode = new Promise<number>((r) => (exited = r));
  await startService(service, { config: short, shutdown: { source: signals, exit: (code) => exited(code) } });

  const warning = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('the broker keeps these topics longer than INBOX_RETENTION_HOURS'));
  expect(warning).toMatchObject({ level: 40, inbox_retention_ms: 3_600_000 });
  const [outlasting] = warning?.topics as Array<{ topic: string; retention_ms: number }>;
  expect(outlasting.topic).toBe(topicName(prefix, Topics.orderEvents));
  expect(outlasting.retention_ms === -1 || outlasting.retention_ms >= 3_600_000).toBe(true);

  signals.emit('SIGTERM');
  expect(await exitCode).toBe(0);
  expect(lines.filter((l) => l.msg === 'shutdown step done').map((l) => l.step)).toContain('inbox retention');
}, 60_000);

/** The standard app of a test service, with its routes. */
function testApp(service: string, kit: ServiceKit, routes: NonNullable<Parameters<typeof createServiceApp>[0]['routes']>) {
  return createServiceApp({
    service,
    openApi: { title: 'kernel test', version: '1.0.0', prefix: '/api/v1/kernel-test' },
    auth: kit.auth,
    logger: kit.logger,
    bodyLimit: 1024,
    ready: kit.ready,
    metrics: false,
    routes,
  });
}
