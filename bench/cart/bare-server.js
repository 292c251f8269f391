// The baselines, in a process of their own like the cart service, so both are measured through
// the same loopback HTTP with the same clients. Prints its port on stdout.
//   GET /bare     fastify's own bare route: a constant JSON (the HTTP ceiling);
//   GET /bare-db  the same plus ONE node-postgres query per request, the shape of a cart read
//                 (a buyer's items, carts JOIN cart_items by user id, random buyer), on a pool
//                 of the cart service's size (BENCH_POOL), prepared like the service's statements:
//                 the floor of any database-backed read.
'use strict';
const Fastify = require('fastify');
const { Pool } = require('pg');

const pool = process.env.DATABASE_URL ? new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BENCH_POOL ?? 10) }) : undefined;
let users = [];

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ status: 'ok' }));
app.get('/bare-db', async () => {
  const user = users[Math.floor(Math.random() * users.length)];
  // A named (prepared) statement, as the service sends its own: parsed and planned once per connection.
  const { rows } = await pool.query({
    name: 'bare_cart_read',
    text: `SELECT i.id, i.product_id, i.product_name, i.size, i.quantity, i.price_when_added::text, i.current_price::text, i.created_at
       FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.user_id = $1 ORDER BY i.created_at, i.id`,
    values: [user],
  });
  return { user_id: user, items: rows };
});
// Buyers are read on the first /bare-db request (the carts are seeded after this process starts).
app.addHook('onRequest', async (req) => {
  if (req.url === '/bare-db' && users.length === 0) users = (await pool.query('SELECT user_id FROM carts')).rows.map((r) => r.user_id);
});
app.listen({ host: '127.0.0.1', port: 0 }).then(
  () => process.stdout.write(`${app.server.address().port}\n`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool?.end())
    .then(() => process.exit(0));
});
