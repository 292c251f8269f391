// The baseline: fastify's own bare route, in a process of its own like the cart service, so both
// are measured through the same loopback HTTP with the same clients. Prints its port on stdout.
'use strict';
const Fastify = require('fastify');

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ status: 'ok' }));
app.listen({ host: '127.0.0.1', port: 0 }).then(() => process.stdout.write(`${app.server.address().port}\n`));
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
