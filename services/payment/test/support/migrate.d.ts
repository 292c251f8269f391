/** `prisma migrate deploy` on the URL (`?schema=` honoured), retried while the migration lock is busy. */
export function migrate(databaseUrl: string, attempts?: number): void;
