// The benchmark's inventory peer: grpc-js InventoryService with products in memory, answering
// GetProducts like the real service (other RPCs are not used by cart's hot paths). Prints its
// port on stdout. Products: `bench-<n>` for n in 0..BENCH_PRODUCTS-1, no sizes, huge stock.
'use strict';
const grpc = require('@grpc/grpc-js');
const { inventory: pb } = require('@sudamall/proto');

const COUNT = Number(process.env.BENCH_PRODUCTS ?? 100);
const now = new Date().toISOString();
const products = new Map();
for (let n = 0; n < COUNT; n++) {
  const id = `bench-${n}`;
  products.set(id, {
    id,
    productName: `Bench product ${n}`,
    productDescription: '',
    price: `${(9 + (n % 50)).toString()}.99`,
    // What cart charges (inventory.proto: current_price, the sale price when one is set).
    currentPrice: `${(9 + (n % 50)).toString()}.99`,
    images: [],
    color: '',
    brand: '',
    category: '',
    storeId: 'bench-store',
    ownerId: 'bench-seller',
    hasSizes: false,
    deleted: false,
    availableQuantity: 100_000_000,
    reservedQuantity: 0,
    soldQuantity: 0,
    sizes: [],
    createdAt: now,
    updatedAt: now,
  });
}

const unimplemented = (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'bench peer' });
const server = new grpc.Server();
server.addService(pb.InventoryServiceService, {
  getProducts(call, callback) {
    const found = [];
    const missingIds = [];
    for (const id of new Set(call.request.ids)) {
      const p = products.get(id);
      if (p) found.push(p);
      else missingIds.push(id);
    }
    callback(null, { products: found, missingIds });
  },
  checkAvailability: unimplemented,
  reserve: unimplemented,
  release: unimplemented,
  confirm: unimplemented,
  createSnapshots: unimplemented,
  getSnapshot: unimplemented,
  reserveBatch: unimplemented,
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${port}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
