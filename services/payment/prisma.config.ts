// Prisma 6.19 with the query compiler and the pg driver adapter: no native engine is ever
// downloaded (see docs/architecture.md and the platform notes).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

const connectionString = process.env.DATABASE_URL ?? 'postgresql://sudamall:sudamall@127.0.0.1:5432/payment';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  adapter: async () => new PrismaPg({ connectionString }),
});
