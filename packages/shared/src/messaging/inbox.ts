/** Anything that can run raw SQL in the caller's transaction (a Prisma transaction client). */
export interface RawExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

export const INBOX_CLAIM_SQL = 'INSERT INTO inbox (consumer, event_id) VALUES ($1, $2::uuid) ON CONFLICT (consumer, event_id) DO NOTHING';

/**
 * Records that `consumer` processes `eventId`. Returns false for a duplicate delivery. Call it
 * first inside the transaction that applies the effect, so the record and the effect commit
 * (or roll back) together.
 */
export async function claimInbox(tx: RawExecutor, consumer: string, eventId: string): Promise<boolean> {
  const affected = await tx.$executeRawUnsafe(INBOX_CLAIM_SQL, consumer, eventId);
  return affected === 1;
}
