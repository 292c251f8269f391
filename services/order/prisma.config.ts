// Prisma 6.19 with the JS query compiler and the pg driver adapter: no native engine is ever
// downloaded (see ../../shared notes: platform.md), so generate and migrate deploy work offline.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// The schema's datasource reads env("DATABASE_URL"); without it the CLI (even `prisma generate`)
// falls back to downloading a native engine, which cannot be reached here.
process.env.DATABASE_URL ??= 'postgresql://sudamall:sudamall@127.0.0.1:5432/order';
const connectionString = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString }),
});
