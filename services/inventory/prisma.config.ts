// Prisma 6.19 with the JS query compiler and the pg driver adapter: no native engine is ever
// downloaded (see ../../shared notes: Prisma's engine servers are unreachable here).
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// The schema's datasource reads env("DATABASE_URL") and the CLI fails (then tries to download a
// native engine) when it is unset, so give it the local default.
process.env.DATABASE_URL ??= 'postgresql://sudamall:sudamall@127.0.0.1:5432/inventory';
const url = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  adapter: async () => new PrismaPg({ connectionString: url }),
});
