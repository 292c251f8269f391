// The built service as a process (dist/main.js; `turbo run test` builds first): it starts on
// the real servers, becomes ready, serves HTTP and gRPC, and on SIGTERM drains and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { inventory as pb } from '@sudamall/proto';
import { promisifyUnary } from '@sudamall/shared';
import { eventually, testTopicPrefix } from '@sudamall/shared/testing';
import { TEST_DATABASE_URL, TEST_JWT_SECRET, TEST_KAFKA_BROKERS, TEST_REDIS_URL } from '../support/env';

const MAIN = path.join(__dirname, '../../dist/main.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

it('starts, serves, and shuts down gracefully on SIGTERM', async () => {
  expect(existsSync(MAIN)).toBe(true); // build the service first (turbo run test does)
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  let output = '';
  child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: testTopicPrefix(),
      JWT_SECRET: TEST_JWT_SECRET,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));

  await eventually(
    async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      expect(res.status).toBe(200);
    },
    { timeoutMs: 40_000, intervalMs: 250 },
  );
  const list = await fetch(`http://127.0.0.1:${httpPort}/api/v1/products/?page_size=1`);
  expect(list.status).toBe(200);
  expect(await list.json()).toMatchObject({ page: 1, page_size: 1 });

  const client = new pb.InventoryServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  const missing = '00000000-0000-4000-8000-000000000000';
  expect(await promisifyUnary(client, 'getProducts')({ ids: [missing] })).toEqual({ products: [], missingIds: [missing] });
  client.close();

  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await exited;
  // On a failed shutdown, the service's own log says which step failed or was still pending.
  if (code !== 0) console.error(`inventory exited ${code} on SIGTERM; its log ends with:\n${output.slice(-6000)}`);
  expect(code).toBe(0);
  expect(output).toContain('shutting down');
}, 90_000);

it('refuses to start with a clear message when the environment is wrong', async () => {
  const run = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, HTTP_PORT: 'not-a-port' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  run.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
  expect(code).toBe(1);
  expect(err).toMatch(/DATABASE_URL/);
  expect(err).toMatch(/JWT_SECRET/);
  expect(err).toMatch(/HTTP_PORT/);
});
