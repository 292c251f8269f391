import type { Pool, PoolClient } from 'pg';

/** What fn may say about the client it was lent: discard it instead of giving it back for reuse. */
export interface LentClient {
  client: PoolClient;
  /** The connection is in a state not to reuse (a failed statement left it unknown). */
  discard: () => void;
}

/**
 * Runs fn on a client checked out of pool and gives it back, discarded when its connection was lost
 * or fn said so. A checked-out client that loses its server (PostgreSQL restarted) emits 'error'
 * on itself, not on the pool: unheard, that is an uncaught exception that kills the process. The
 * statement in flight rejects as well, so fn hears of it there; `onLost` may log it.
 */
export async function withPoolClient<T>(pool: Pool, fn: (lent: LentClient) => Promise<T>, onLost?: (err: Error) => void): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = (err: Error) => {
    broken = true;
    onLost?.(err);
  };
  client.on('error', onError);
  try {
    return await fn({
      client,
      discard: () => {
        broken = true;
      },
    });
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
