// Prisma 6.19 with the query compiler and the pg driver adapter: no native engine is ever
// downloaded (see docs/architecture.md and the platform notes).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// The schema's datasource reads env("DATABASE_URL"); when it is unset the 6.19 CLI cannot read
// the schema's engine type, falls back to a native engine and tries to download it. So give it
// the local default.
process.env.DATABASE_URL ??= 'postgresql://sudamall:sudamall@127.0.0.1:5432/payment';
const url = new URL(process.env.DATABASE_URL);
// `?schema=name` (Prisma's convention) is not a node-postgres option: it becomes the
// search_path, so the migration's unqualified DDL lands in that schema.
const schema = url.searchParams.get('schema') ?? undefined;
url.searchParams.delete('schema');
const pgConfig = {
  connectionString: url.toString(),
  ...(schema ? { options: `-c search_path="${schema.replace(/"/g, '""')}"` } : {}),
};

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  adapter: async () => new PrismaPg(pgConfig, schema ? { schema } : undefined),
});
