// Redis locks over stock rows (redlock). A lock only keeps lock holders from wasting work on
// the same rows; it is not what makes stock correct (a GC pause or SIGSTOP longer than the TTL
// gives two holders), the database condition under it is. See reservation-store.ts.
import { unavailable } from '@sudamall/shared';
import type { Redis } from 'ioredis';
import Redlock, { ExecutionError, type Lock } from 'redlock';

export interface StockLockOptions {
  redis: Redis;
  /** Prefix of every key (`<namespace>stock:<id>`); tests use distinct ones. */
  namespace?: string;
  ttlMs: number;
  /** How long a holder waits for a key another process holds before giving up (LOCK_TIMEOUT). */
  acquireTimeoutMs: number;
}

export interface HeldLocks {
  /** False once the TTL has passed: the rows may already be someone else's. */
  stillHeld(): boolean;
  /** Milliseconds until the TTL runs out (negative once expired). */
  remainingMs(): number;
  release(): Promise<void>;
}

export class StockLocks {
  private readonly redlock: Redlock;
  // Releasing must not retry: a release fails only when the lock already expired (or Redis is
  // gone), and redlock would otherwise spin through the whole acquire retry budget on it.
  private readonly releaser: Redlock;
  private readonly namespace: string;

  constructor(private readonly opts: StockLockOptions) {
    this.namespace = opts.namespace ?? '';
    const retryDelay = 10;
    this.redlock = new Redlock([opts.redis], {
      retryDelay,
      retryJitter: 10,
      retryCount: Math.max(1, Math.ceil(opts.acquireTimeoutMs / retryDelay)),
      // We never auto-extend: a batch is a few milliseconds, and the database condition covers
      // the rare holder that outlives its TTL.
      automaticExtensionThreshold: 0,
    });
    // redlock emits "error" for every failed vote; failures reach us through acquire() already.
    this.redlock.on('error', () => undefined);
    this.releaser = new Redlock([opts.redis], { retryCount: 0, automaticExtensionThreshold: 0 });
    this.releaser.on('error', () => undefined);
  }

  get ttlMs(): number {
    return this.opts.ttlMs;
  }

  keyOf(stockId: string): string {
    return `${this.namespace}stock:${stockId}`;
  }

  /**
   * Locks every stock row of a batch at once, keys sorted (so two multi-row batches in
   * different processes take them in the same order and cannot deadlock; redlock's acquire
   * script also takes a set of keys all-or-nothing on one Redis).
   * Redis unreachable → `503 LOCK_UNAVAILABLE` without waiting; a key held elsewhere for longer
   * than acquireTimeoutMs → `503 LOCK_TIMEOUT`.
   */
  async acquire(stockIds: Iterable<string>): Promise<HeldLocks> {
    const keys = [...new Set([...stockIds].map((id) => this.keyOf(id)))].sort();
    // ioredis is configured with enableOfflineQueue=false, so commands fail at once when the
    // connection is down; checking the status first also spares redlock's retry loop.
    if (this.opts.redis.status !== 'ready') {
      throw unavailable('LOCK_UNAVAILABLE', 'the stock lock store (Redis) is unreachable; nothing was changed');
    }
    let lock: Lock;
    try {
      lock = await this.redlock.acquire(keys, this.opts.ttlMs);
    } catch (e) {
      throw await this.classify(e);
    }
    const acquiredAt = Date.now();
    return {
      stillHeld: () => Date.now() - acquiredAt < this.opts.ttlMs,
      remainingMs: () => this.opts.ttlMs - (Date.now() - acquiredAt),
      release: async () => {
        try {
          await this.releaser.release(lock);
        } catch {
          // Expired already, or Redis went away: the TTL frees the keys either way.
        }
      },
    };
  }

  private async classify(e: unknown) {
    if (e instanceof ExecutionError) {
      const stats = await Promise.all(e.attempts).catch(() => []);
      const last = stats[stats.length - 1];
      const lockedElsewhere = last !== undefined && [...last.votesAgainst.values()].some((err: Error) => err?.name === 'ResourceLockedError');
      if (lockedElsewhere) {
        return unavailable('LOCK_TIMEOUT', 'the stock rows stayed locked by another holder; nothing was changed');
      }
    }
    return unavailable('LOCK_UNAVAILABLE', 'the stock lock store (Redis) is unreachable; nothing was changed');
  }
}
