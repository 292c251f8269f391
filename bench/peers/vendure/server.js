#!/usr/bin/env node
// Vendure, the peer of `npm run bench -- peers`, as one server process (its CPU is measured on its
// own): @vendure/core from VENDURE_DIR (installed there by bench/peers/run.sh from this folder's
// pinned package.json and package-lock.json, outside the npm workspaces), on a PostgreSQL database
// of its own whose tables TypeORM creates at start (`synchronize`, the database is new each run).
// Shop and Admin GraphQL APIs on 127.0.0.1:VENDURE_PORT, bearer tokens, the dummy payment handler,
// no plugins (no search index, no asset server, no email): only what a checkout needs. Vendure's
// defaults otherwise: in-memory job queue, TypeORM's pool of 10 connections (our services' size).
// Prints `ready` on stdout once it listens.
'use strict';
const { createRequire } = require('node:module');
const path = require('node:path');

const dir = process.env.VENDURE_DIR;
if (!dir) throw new Error('VENDURE_DIR (the folder where @vendure/core is installed) is required');
// Vendure refuses to start in production with its default superadmin password: the bench makes one per run.
const superadminPassword = process.env.VENDURE_SUPERADMIN_PASSWORD;
if (!superadminPassword) throw new Error('VENDURE_SUPERADMIN_PASSWORD is required');
const { bootstrap, dummyPaymentHandler, DefaultLogger, LogLevel } = createRequire(path.join(path.resolve(dir), 'package.json'))('@vendure/core');

const config = {
  apiOptions: {
    hostname: '127.0.0.1',
    port: Number(process.env.VENDURE_PORT ?? 3000),
    adminApiPath: 'admin-api',
    shopApiPath: 'shop-api',
    cors: { origin: ['http://127.0.0.1'], credentials: true }, // the bench calls from Node, no browser
  },
  authOptions: {
    tokenMethod: 'bearer',
    requireVerification: false,
    superadminCredentials: { identifier: 'superadmin', password: superadminPassword },
  },
  dbConnectionOptions: {
    type: 'postgres',
    synchronize: true,
    logging: false,
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    username: process.env.PGUSER ?? 'sudamall',
    password: process.env.PGPASSWORD ?? 'sudamall',
    database: process.env.VENDURE_DATABASE ?? 'vendure_bench',
  },
  paymentOptions: { paymentMethodHandlers: [dummyPaymentHandler] },
  logger: new DefaultLogger({ level: LogLevel.Warn }),
  plugins: [],
};

bootstrap(config).then(
  (app) => {
    console.log('ready');
    const stop = () => void app.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
