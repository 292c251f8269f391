// Prisma 6.19 with the JS query compiler and the pg driver adapter: no native engine is ever
// needed (Prisma's engine servers are unreachable here; see the shared platform notes).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// The schema's datasource reads env("DATABASE_URL"); when it is unset the 6.19 CLI falls back
// to looking for a native engine and tries to download one, so give it the local default.
process.env.DATABASE_URL ??= 'postgresql://sudamall:sudamall@127.0.0.1:5432/order';
const connectionString = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString }),
});
