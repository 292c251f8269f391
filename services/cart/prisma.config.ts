// Prisma CLI configuration: the query compiler with the pg driver adapter, so neither
// `prisma generate` nor `prisma migrate deploy` needs a native engine (see platform notes).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// The schema's datasource reads env("DATABASE_URL"); without it the CLI cannot read the
// generator's engineType and falls back to downloading a native engine, which fails offline.
process.env.DATABASE_URL ??= 'postgresql://sudamall:sudamall@127.0.0.1:5432/cart';
const connectionString = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString }),
});
