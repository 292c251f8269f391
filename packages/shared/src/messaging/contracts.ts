// The data carried by every Kafka message type, in one place. Producers and consumers on
// both sides of a topic import these types, so a field renamed here fails to compile
// everywhere it is used. Money is a decimal string ("19.99"); quantities are integers.

export const Topics = {
  inventoryCommands: 'inventory.commands',
  inventoryEvents: 'inventory.events',
  paymentCommands: 'payment.commands',
  paymentEvents: 'payment.events',
  orderEvents: 'order.events',
} as const;
export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Every topic, for scripts and tests that create them. */
export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);

/** A topic name with the deployment's prefix (tests use a unique prefix to isolate themselves). */
export function topicName(prefix: string, topic: TopicName): string {
  return prefix ? `${prefix}${topic}` : topic;
}

/**
 * A consumer group id with the same prefix as the topics it reads. Groups must be namespaced
 * like topics: two deployments (or two test runs) sharing one group id would split each
 * other's partitions, so a message could be handled by a process wired to another database.
 */
export function consumerGroupName(prefix: string, group: string): string {
  return prefix ? `${prefix}${group}` : group;
}

// ---- inventory.commands (key: order_id) ----
export interface ReserveLine {
  line_id: string;
  product_id: string;
  /** null for products without sizes */
  size: string | null;
  quantity: number;
}
export interface InventoryReserveCommand {
  order_id: string;
  lines: ReserveLine[];
}
export interface InventoryConfirmCommand {
  order_id: string;
}
export interface InventoryReleaseCommand {
  order_id: string;
  reason: string;
  /**
   * Also give back units the order's confirmation already sold (sold → available, once per
   * line): the saga's compensation of a confirmation that may have landed. Absent: only
   * reserved units are released.
   */
  restock?: boolean;
}
/**
 * Give back units an order bought (sold → available) on some of its lines: a store's part
 * cancelled after payment, a returned line. `restock_id` names it across re-sends: it is applied
 * once, and a line never gets back more units than it sold. Answered by stock.restocked.
 */
export interface InventoryRestockCommand {
  order_id: string;
  restock_id: string;
  reason: string;
  lines: Array<{ line_id: string; quantity: number }>;
}

// ---- inventory.events ----
export interface ShortLine {
  line_id: string;
  product_id: string;
  size: string | null;
  requested: number;
  available: number;
  /** INSUFFICIENT_STOCK | PRODUCT_NOT_FOUND | PRODUCT_UNAVAILABLE | SIZE_NOT_FOUND | SIZE_REQUIRED | SIZE_NOT_ALLOWED */
  code: string;
}
export interface StockReservedEvent {
  order_id: string;
  lines: Array<ReserveLine & { reservation_id: string }>;
  /**
   * ISO 8601: when inventory lets the reservation lapse on its own. Order caps the payment
   * deadline by it (a reply processed late must not outlive the stock). Optional: events
   * written before it existed may still sit in the topic.
   */
  expires_at?: string;
}
export interface StockRejectedEvent {
  order_id: string;
  code: string;
  short_lines: ShortLine[];
}
export interface StockConfirmedEvent {
  order_id: string;
}
export interface StockReleasedEvent {
  order_id: string;
  reason: string;
}
/**
 * An inventory.restock applied (or found applied before: the same answer again): the units each
 * line got back now, which is less than asked only where the line had no more sold units.
 */
export interface StockRestockedEvent {
  order_id: string;
  restock_id: string;
  lines: Array<{ line_id: string; product_id: string; size: string | null; quantity: number }>;
}
/** key: product_id. Current stock of the product (and each size) after any change. */
export interface StockChangedEvent {
  product_id: string;
  has_sizes: boolean;
  available_quantity: number;
  reserved_quantity: number;
  sold_quantity: number;
  sizes: Array<{ size: string; available_quantity: number; reserved_quantity: number; sold_quantity: number }>;
}
/**
 * key: product_id. What a buyer pays changed (the price without a sale, or the sale price):
 * old_price and new_price are current prices (sale_price when set, else price).
 */
export interface ProductPriceChangedEvent {
  product_id: string;
  old_price: string;
  new_price: string;
  /** The list price and the sale price now (absent in events written before sale prices). */
  price?: string;
  sale_price?: string | null;
}
/** key: product_id. The product as it now is (name, prices, sizes that exist). */
export interface ProductUpdatedEvent {
  product_id: string;
  product_name: string;
  /** The list price; what a buyer pays is current_price. */
  price: string;
  /** absent in events written before sale prices (then current_price was price) */
  sale_price?: string | null;
  current_price?: string;
  has_sizes: boolean;
  sizes: string[];
}
/**
 * key: product_id. A seller renamed a size: carts move their lines of `old_size` to `new_size`
 * (sent before the `product.updated` that lists the new name, on the same partition).
 */
export interface ProductSizeRenamedEvent {
  product_id: string;
  size_id: string;
  old_size: string;
  new_size: string;
}
export interface ProductDeletedEvent {
  product_id: string;
}

// ---- payment.commands (key: order_id) ----
export interface PaymentVoidCommand {
  order_id: string;
  reason: string;
}
/**
 * Cash on delivery, collected store by store: once every part of the order that is not cancelled
 * is delivered and its cash taken, the order asks payment to complete the order's cash payment
 * for what the stores collected (a refused part's cash is never taken, so `amount` may be less
 * than the payment's total). Applied once per order: a re-sent command changes nothing.
 */
export interface PaymentCollectCommand {
  order_id: string;
  /** The cash the stores collected: their parts' lines plus their share of the fee. */
  amount: string;
}
export interface PaymentRefundCommand {
  order_id: string;
  reason: string;
  /**
   * Refund only this much of the order's captured payment (a store's part cancelled after
   * payment, a return), at most what is left of it. Absent: everything left (the checkout
   * saga's compensation).
   */
  amount?: string;
  /**
   * Names this refund across re-sends (the order's adjustment id): a key refunded, or being
   * refunded, is answered, never refunded again; one the gateway refused may be tried anew.
   * Echoed on payment.refunded / payment.refund_failed.
   */
  refund_key?: string;
}

// ---- payment.events (key: order_id) ----
export interface PaymentSucceededEvent {
  payment_id: string;
  order_id: string;
  user_id: string;
  gateway: string;
  amount: string;
  gateway_fee: string;
  total_amount: string;
}
export interface PaymentFailedEvent {
  payment_id: string;
  order_id: string;
  attempt_number: number;
  reason: string;
}
export interface PaymentRefundedEvent {
  payment_id: string;
  order_id: string;
  refund_id: string;
  amount: string;
  reason: string;
  /** The command's refund_key, when it had one. */
  refund_key?: string;
}
/**
 * A refund the gateway definitely refused (not an unknown outcome: those stay pending and are
 * reconciled). Its amount is refundable again; nothing was given back.
 */
export interface PaymentRefundFailedEvent {
  payment_id: string;
  order_id: string;
  refund_id: string;
  amount: string;
  reason: string;
  /** The command's refund_key, when it had one. */
  refund_key?: string;
}
export interface PaymentVoidedEvent {
  payment_id: string | null;
  order_id: string;
  reason: string;
}

// ---- order.events (key: order_id) ----
export type OrderStatus = 'pending' | 'under_paying' | 'processing' | 'shipped' | 'delivered' | 'cancelled';
export interface OrderPlacedEvent {
  order_id: string;
  user_id: string;
  total_amount: string;
  lines: ReserveLine[];
  /** Every store with an item in the order (each store's sellers follow their orders live). */
  store_ids?: string[];
}
export interface OrderStatusChangedEvent {
  order_id: string;
  user_id: string;
  from: OrderStatus;
  to: OrderStatus;
  reason: string | null;
  payment_expires_at: string | null;
  store_ids?: string[];
}
export interface OrderCancelledEvent {
  order_id: string;
  user_id: string;
  reason: string;
  store_ids?: string[];
}
/** One store's part of an order moved (shipped, delivered, collected, cancelled): for that store's sellers. */
export interface OrderFulfillmentChangedEvent {
  order_id: string;
  user_id: string;
  store_id: string;
  from: string;
  to: string;
  reason: string | null;
}

/** Message type → data type, so `Envelope<'stock.reserved'>` is typed end to end. */
export interface MessageTypes {
  'inventory.reserve': InventoryReserveCommand;
  'inventory.confirm': InventoryConfirmCommand;
  'inventory.release': InventoryReleaseCommand;
  'inventory.restock': InventoryRestockCommand;
  'stock.reserved': StockReservedEvent;
  'stock.rejected': StockRejectedEvent;
  'stock.confirmed': StockConfirmedEvent;
  'stock.released': StockReleasedEvent;
  'stock.restocked': StockRestockedEvent;
  'stock.changed': StockChangedEvent;
  'product.price_changed': ProductPriceChangedEvent;
  'product.updated': ProductUpdatedEvent;
  'product.size_renamed': ProductSizeRenamedEvent;
  'product.deleted': ProductDeletedEvent;
  'payment.void': PaymentVoidCommand;
  'payment.refund': PaymentRefundCommand;
  'payment.collect': PaymentCollectCommand;
  'payment.succeeded': PaymentSucceededEvent;
  'payment.failed': PaymentFailedEvent;
  'payment.refunded': PaymentRefundedEvent;
  'payment.refund_failed': PaymentRefundFailedEvent;
  'payment.voided': PaymentVoidedEvent;
  'order.placed': OrderPlacedEvent;
  'order.status_changed': OrderStatusChangedEvent;
  'order.cancelled': OrderCancelledEvent;
  'order.fulfillment_changed': OrderFulfillmentChangedEvent;
}
export type MessageType = keyof MessageTypes;
