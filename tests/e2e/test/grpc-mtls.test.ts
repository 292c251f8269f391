// The four services with mTLS on every gRPC hop (GRPC_TLS_CA/CERT/KEY, certificates made here
// with openssl): a checkout still goes cart → order (PlaceOrder) → inventory (GetProducts,
// CreateSnapshots), a payment payment → order (GetOrderForPayment), a payment check
// order → payment (GetPaymentStatus); and order's gRPC port completes a TLS session only for a
// client with a certificate from the platform's CA: not without one, not with another CA's, not
// in plaintext.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ApiClient, eventuallyValue, expectStatus, SERVICES, startPlatform, type Platform } from './platform';

const dir = mkdtempSync(join(tmpdir(), 'sudamall-e2e-mtls-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
}
/** Each service's certificate: the name its peers dial (127.0.0.1 here) for serverAuth and clientAuth. */
function makeLeaf(name: string, ca: string): void {
  writeFileSync(
    join(dir, `${name}.ext`),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n',
  );
  openssl('req', ...ec, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}
makeCa('ca');
makeCa('other-ca');
for (const s of [...SERVICES, 'probe']) makeLeaf(s, 'ca');
makeLeaf('stranger', 'other-ca');
const file = (name: string) => join(dir, name);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
/**
 * Opens a connection and sends the HTTP/2 preface: 'answered' when the server speaks back (its
 * SETTINGS frame), 'refused' when it ends the connection without a word. Under TLS 1.3 a client
 * may finish its side of the handshake before the server has judged its certificate, so the
 * server's answer, not the handshake event, is what counts.
 */
function probe(socket: Socket, ready: string): Promise<'answered' | 'refused'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done('refused'), 10_000);
    const done = (r: 'answered' | 'refused') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    socket.once(ready, () => socket.write(PREFACE));
    socket.once('data', () => done('answered'));
    socket.once('error', () => done('refused'));
    socket.once('close', () => done('refused'));
  });
}

let platform: Platform;
let orderGrpcPort: number;

beforeAll(async () => {
  orderGrpcPort = await freePort();
  const tlsEnv = (s: string) => ({ GRPC_TLS_CA: file('ca.pem'), GRPC_TLS_CERT: file(`${s}.pem`), GRPC_TLS_KEY: file(`${s}.key`) });
  platform = await startPlatform({
    ownDatabases: true,
    // order's gRPC port chosen here, so the test can knock on it too.
    commonEnv: { ORDER_GRPC_URL: `127.0.0.1:${orderGrpcPort}` },
    env: {
      inventory: tlsEnv('inventory'),
      cart: tlsEnv('cart'),
      order: { ...tlsEnv('order'), GRPC_PORT: String(orderGrpcPort) },
      payment: tlsEnv('payment'),
    },
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a checkout, its payment and a payment check cross every gRPC hop over mTLS', async () => {
  const seller = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-${randomUUID().slice(0, 8)}` });
  const buyer = ApiClient.as(platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });
  const product = await expectStatus(
    201,
    seller.api.inventory.POST('/api/v1/products', {
      body: {
        product_name: `mTLS product ${randomUUID().slice(0, 6)}`,
        product_description: 'e2e',
        price: '7.00',
        color: 'black',
        brand: 'Sudamall',
        category: 'test',
        has_sizes: false,
        available_quantity: 3,
      },
    }),
  );
  // cart → order PlaceOrder, order → inventory GetProducts + CreateSnapshots.
  const order = await expectStatus(
    201,
    buyer.api.cart.POST('/api/v1/carts/checkout/single', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { product_id: product.id, quantity: 1, shipping_address: '3 Nile St' },
    }),
  );
  expect(order.status).toBe('under_paying');
  // payment → order GetOrderForPayment.
  const payment = await expectStatus(201, buyer.api.payment.POST('/api/v1/payments/create', { body: { order_id: order.order_id, gateway: 'test_gateway' } }));
  const processed = await expectStatus(
    200,
    buyer.api.payment.POST('/api/v1/payments/process', { body: { payment_id: payment.payment_id, card_number: '4242424242424242' } }),
  );
  expect(processed.outcome).toBe('succeeded');
  const path = { order_id: order.order_id };
  await eventuallyValue(
    () => expectStatus(200, buyer.api.order.GET('/api/v1/orders/{order_id}', { params: { path } })),
    (o) => o.status === 'processing',
  );
  // order → payment GetPaymentStatus (it degrades to "unavailable" when the call fails).
  const check = await expectStatus(200, buyer.api.order.GET('/api/v1/orders/check-payment/{order_id}', { params: { path } }));
  expect(check.payment_service).toBe('ok');
  expect(check.paid).toBe(true);
});

test("order's gRPC port answers only a client holding a certificate from the platform's CA", async () => {
  const ca = readFileSync(file('ca.pem'));
  const tls = (cert?: string) =>
    tlsConnect({
      host: '127.0.0.1',
      port: orderGrpcPort,
      ca,
      ALPNProtocols: ['h2'],
      servername: 'localhost',
      ...(cert ? { cert: readFileSync(file(`${cert}.pem`)), key: readFileSync(file(`${cert}.key`)) } : {}),
    });
  expect(await probe(tls('probe'), 'secureConnect')).toBe('answered');
  expect(await probe(tls(), 'secureConnect')).toBe('refused');
  expect(await probe(tls('stranger'), 'secureConnect')).toBe('refused');
  expect(await probe(netConnect({ host: '127.0.0.1', port: orderGrpcPort }), 'connect')).toBe('refused');
});
