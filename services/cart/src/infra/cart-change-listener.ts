// LISTEN cart_live on a connection of its own: the triggers of migration
// 20261125080000_cart_live_notify NOTIFY the buyer's id at commit of any change to their items
// or recorded sync changes. The connection is re-opened with backoff when it drops; notifications
// sent meanwhile are lost, which `onReconnected` tells the caller.
import { Client } from 'pg';
import { pgConfigFromUrl, type Logger } from '@sudamall/shared';

export const CART_LIVE_CHANNEL = 'cart_live';

export interface CartChangeListenerOptions {
  databaseUrl: string;
  logger: Logger;
  /** A buyer's cart changed (their user id). */
  onChange: (userId: string) => void;
  /** Back after a lost connection: changes may have been missed. */
  onReconnected: () => void;
  /** Reconnect backoff's upper bound; default 5 s. */
  maxBackoffMs?: number;
}

export class CartChangeListener {
  private client: Client | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: CartChangeListenerOptions) {}

  /** Resolves once LISTEN is in place (rejects when the first connection fails). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(attempt: number): Promise<void> {
    const client = new Client(pgConfigFromUrl(this.opts.databaseUrl));
    client.on('notification', (n) => {
      if (n.channel === CART_LIVE_CHANNEL && n.payload) this.opts.onChange(n.payload);
    });
    client.on('error', (err) => {
      this.opts.logger.warn({ err }, 'live cart LISTEN connection failed; reconnecting');
      this.reconnect(client, attempt + 1);
    });
    client.on('end', () => this.reconnect(client, attempt + 1));
    try {
      await client.connect();
      await client.query(`LISTEN ${CART_LIVE_CHANNEL}`);
    } catch (err) {
      if (attempt === 0) throw err;
      this.opts.logger.warn({ err }, 'live cart LISTEN reconnect failed');
      this.reconnect(client, attempt + 1);
      return;
    }
    this.client = client;
    if (attempt > 0) this.opts.onReconnected();
  }

  private reconnect(client: Client, attempt: number): void {
    if (this.stopped || (this.client !== undefined && this.client !== client) || this.reconnectTimer) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    const delay = Math.min(this.opts.maxBackoffMs ?? 5000, 100 * 2 ** Math.min(attempt, 10));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect(attempt);
    }, delay);
    this.reconnectTimer.unref();
  }
}
