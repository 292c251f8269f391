import { Type } from '@sinclair/typebox';
import { MAX_SAGA_AGE_SECONDS } from '../../../app/saga-admin';
import { isoDateQuery, sortQuery } from '@sudamall/shared';
import { DEFAULT_ORDER_SORT, ORDER_SORT_FIELDS } from '../../../domain/order-listing';
import { AddressSnapshotSchema } from '../accounts/schemas';

export const StatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('under_paying'),
  Type.Literal('processing'),
  Type.Literal('shipped'),
  Type.Literal('delivered'),
  Type.Literal('cancelled'),
]);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Any()) }),
});

export const OrderIdParams = Type.Object({ order_id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ShortLineSchema = Type.Object({
  line_id: Type.String(),
  product_id: Type.String(),
  size: Type.Union([Type.String(), Type.Null()]),
  requested: Type.Integer(),
  available: Type.Integer(),
  code: Type.String(),
});

export const OrderItemSchema = Type.Object({
  item_id: Type.String(),
  product_id: Type.String(),
  product_name: Type.String(),
  size: Type.Union([Type.String(), Type.Null()]),
  quantity: Type.Integer(),
  price: Type.String(),
  subtotal: Type.String(),
  store_id: Type.String(),
  snapshot_id: Type.String(),
  product_snapshot: Type.Any(),
});

export const FulfillmentSchema = Type.Object({
  store_id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('processing'), Type.Literal('shipped'), Type.Literal('delivered'), Type.Literal('cancelled')], {
    description: 'pending until the order is paid; then processing → shipped → delivered, or cancelled',
  }),
  items: Type.Array(Type.String(), { description: "the item_ids of the store's lines" }),
  subtotal: Type.String(),
  tracking_number: Nullable(Type.String()),
  shipped_at: Nullable(Type.String()),
  delivered_at: Nullable(Type.String()),
  cancelled_at: Nullable(Type.String()),
  collected_at: Nullable(Type.String({ description: "cash on delivery: when the store took its part's cash" })),
  collected_amount: Nullable(Type.String({ description: "cash on delivery: the part's lines plus its share of the fee" })),
});

export const CancellationSchema = Type.Object(
  {
    cancellation_id: Type.String(),
    status: Type.Union([Type.Literal('refunding'), Type.Literal('restocking'), Type.Literal('completed')], {
      description: 'refunding (the payment gateway) → restocking (units back to available) → completed (fulfilments cancelled)',
    }),
    store_id: Type.Union([Type.String(), Type.Null()], { description: 'the store whose part is cancelled; null: the whole order' }),
    refund_amount: Type.Union([Type.String(), Type.Null()], {
      description: "the part's lines plus its share of the fee (the whole order: everything the buyer paid)",
    }),
    refunded_amount: Type.Union([Type.String(), Type.Null()], { description: 'what the payment service refunded, once it has' }),
    reason: Type.String(),
    stuck: Type.Boolean({ description: 'a refund the gateway refused, or no answer after many re-sends: an operator retries it' }),
    last_error: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    completed_at: Type.Union([Type.String(), Type.Null()]),
  },
  { description: "the order's latest cancellation after payment" },
);

export const OrderSchema = Type.Object({
  order_id: Type.String(),
  user_id: Type.String(),
  status: StatusSchema,
  total_amount: Type.String(),
  shipping_address: Type.String(),
  shipping_address_snapshot: Type.Union([AddressSnapshotSchema, Type.Null()], {
    description: 'the saved address (address_id) the order was placed with, as it was then',
  }),
  notes: Type.String(),
  store_ids: Type.Array(Type.String()),
  payment_expires_at: Nullable(Type.String()),
  cancel_reason: Nullable(Type.String()),
  short_lines: Type.Array(ShortLineSchema),
  created_at: Type.String(),
  updated_at: Type.String(),
  items: Type.Array(OrderItemSchema),
  fulfillments: Type.Array(FulfillmentSchema, { description: "one per store with items in the order; a seller sees only their store's" }),
  cancellation: Type.Union([CancellationSchema, Type.Null()]),
  payment: Type.Optional(
    Type.Union(
      [
        Type.Object({ method: Type.String({ description: 'the gateway: test_gateway, stripe, paypal, cash_on_delivery' }), status: Type.String() }),
        Type.Null(),
      ],
      {
        description: "a seller's view: how the buyer pays and where that stands (null when the payment service cannot say)",
      },
    ),
  ),
});

export const OrderDetailSchema = Type.Composite([
  OrderSchema,
  Type.Object({
    status_history: Type.Array(
      Type.Object({
        from_status: Type.Union([StatusSchema, Type.Null()]),
        to_status: StatusSchema,
        changed_by: Type.String(),
        actor_role: Type.String(),
        reason: Nullable(Type.String()),
        notes: Nullable(Type.String()),
        created_at: Type.String(),
      }),
    ),
    saga: Type.Union([
      Type.Object({
        state: Type.String(),
        step: Type.String(),
        attempts: Type.Integer(),
        stuck: Type.Boolean(),
        last_error: Nullable(Type.String()),
        deadline_at: Nullable(Type.String()),
        next_retry_at: Nullable(Type.String()),
        updated_at: Type.String(),
      }),
      Type.Null(),
    ]),
  }),
]);

export const PageQuery = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

/** What every reader may narrow a list of orders by. */
const OrderFilters = {
  status: Type.Optional(StatusSchema),
  created_after: Type.Optional(isoDateQuery('orders placed at or after this instant')),
  created_before: Type.Optional(isoDateQuery('orders placed before this instant')),
  sort: sortQuery(ORDER_SORT_FIELDS, DEFAULT_ORDER_SORT),
  ...PageQuery,
};

/** A buyer's own orders (the account's order history). */
export const OrderHistoryQuery = Type.Object(OrderFilters, { additionalProperties: false });

export const ListOrdersQuery = Type.Object(
  {
    ...OrderFilters,
    store_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'admins only: orders with an item of this store' })),
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "admins only: this buyer's orders" })),
  },
  { additionalProperties: false },
);

export const OrderPage = Type.Object({
  items: Type.Array(OrderSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const CreateOrderBody = Type.Object(
  {
    items: Type.Optional(
      Type.Array(
        Type.Object(
          {
            product_id: Type.String({ minLength: 1, maxLength: 64 }),
            quantity: Type.Integer({ minimum: 1, maximum: 10000 }),
            size: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 100, description: "omitted: the order is created from the buyer's cart (a full cart checkout, which empties it)" },
      ),
    ),
    shipping_address: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    address_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'a saved address of the buyer (GET /api/v1/accounts/addresses/); exactly one of shipping_address and address_id',
      }),
    ),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    payment_window_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 86400,
        description:
          "test mode only (ORDER_TEST_MODE; else 400 PAYMENT_WINDOW_TEST_MODE_ONLY): a shorter payment window for this order, at most the platform's",
      }),
    ),
  },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'optional, as in Stripe. Without one, an order from the cart is deduplicated by the cart version (a retried identical request answers the same order); a create with items is not deduplicated',
    }),
  ),
});

export const UpdateStatusBody = Type.Object(
  {
    status: StatusSchema,
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    tracking_number: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "the carrier's number, kept on the fulfilments moved" })),
  },
  { additionalProperties: false },
);

export const CancelBody = Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }), Type.Null()]);

export const StatusChanged = Type.Object({ order_id: Type.String(), status: StatusSchema, order: OrderDetailSchema });

export const PaymentWindowSchema = Type.Object({
  order_id: Type.String(),
  status: StatusSchema,
  expires_at: Nullable(Type.String()),
  seconds_remaining: Type.Integer(),
  expired: Type.Boolean(),
});

export const CheckPaymentSchema = Type.Object({
  order_id: Type.String(),
  order_status: StatusSchema,
  total_amount: Type.String(),
  payment_expires_at: Nullable(Type.String()),
  seconds_remaining: Type.Integer(),
  expired: Type.Boolean(),
  paid: Type.Boolean(),
  payment_service: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  payment: Type.Union([
    Type.Object({
      payment_id: Type.String(),
      status: Type.String(),
      amount: Type.String(),
      gateway_fee: Type.String(),
      total_amount: Type.String(),
      refunded_amount: Type.String(),
      gateway: Type.String(),
    }),
    Type.Null(),
  ]),
});

export const SagaListQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ maxLength: 32 })),
    stuck: Type.Optional(Type.Boolean()),
    older_than_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SAGA_AGE_SECONDS })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const SagaList = Type.Object({
  items: Type.Array(
    Type.Object({
      order_id: Type.String(),
      state: Type.String(),
      step: Type.String(),
      attempts: Type.Integer(),
      stuck: Type.Boolean(),
      last_error: Nullable(Type.String()),
      trace_id: Nullable(Type.String()),
      deadline_at: Nullable(Type.String()),
      next_retry_at: Nullable(Type.String()),
      age_seconds: Type.Integer(),
      created_at: Type.String(),
      updated_at: Type.String(),
    }),
  ),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Integer()),
  stuck_count: Type.Integer(),
});

export const ReturnIdParams = Type.Object({
  order_id: Type.String({ minLength: 1, maxLength: 64 }),
  return_id: Type.String({ minLength: 1, maxLength: 64 }),
});

export const ReturnSchema = Type.Object({
  return_id: Type.String(),
  order_id: Type.String(),
  store_id: Type.String({ description: 'the store whose items these are (its seller answers the return)' }),
  status: Type.Union([Type.Literal('requested'), Type.Literal('refunding'), Type.Literal('restocking'), Type.Literal('completed'), Type.Literal('rejected')], {
    description: 'requested → (approved) refunding → restocking → completed, or rejected',
  }),
  items: Type.Array(Type.Object({ item_id: Type.String(), quantity: Type.Integer() })),
  reason: Type.String(),
  restock: Type.Boolean({ description: 'whether the units go back to available once refunded' }),
  refund_amount: Nullable(Type.String({ description: 'the returned lines plus their share of the fee; null until approved' })),
  refunded_amount: Nullable(Type.String()),
  decision_reason: Nullable(Type.String({ description: 'why it was rejected' })),
  stuck: Type.Boolean(),
  last_error: Nullable(Type.String()),
  created_at: Type.String(),
  completed_at: Nullable(Type.String()),
});

export const ReturnList = Type.Object({ items: Type.Array(ReturnSchema) });

export const CreateReturnBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { item_id: Type.String({ minLength: 1, maxLength: 64 }), quantity: Type.Integer({ minimum: 1, maximum: 10_000 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);

export const ApproveReturnBody = Type.Object(
  { restock: Type.Boolean({ default: true, description: 'put the returned units back to available' }) },
  { additionalProperties: false },
);

export const RejectReturnBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

export const FulfillmentParams = Type.Object({
  order_id: Type.String({ minLength: 1, maxLength: 64 }),
  store_id: Type.String({ minLength: 1, maxLength: 64 }),
});

export const RefuseDeliveryBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, default: 'delivery_refused' }) },
  { additionalProperties: false },
);

export const AdjustmentSchema = Type.Object({
  adjustment_id: Type.String(),
  order_id: Type.String(),
  kind: Type.Union([Type.Literal('cancellation'), Type.Literal('return')]),
  store_id: Nullable(Type.String()),
  status: Type.String({ description: 'requested | refunding | restocking | completed | rejected' }),
  reason: Type.String(),
  refund_amount: Nullable(Type.String()),
  refunded_amount: Nullable(Type.String()),
  attempts: Type.Integer(),
  stuck: Type.Boolean(),
  last_error: Nullable(Type.String()),
  next_retry_at: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const AdjustmentListQuery = Type.Object(
  {
    stuck: Type.Optional(Type.Boolean({ description: 'only those waiting for an operator (or not)' })),
    open: Type.Optional(Type.Boolean({ description: 'only those not completed or rejected' })),
    kind: Type.Optional(Type.Union([Type.Literal('cancellation'), Type.Literal('return')])),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const AdjustmentPage = Type.Object({ items: Type.Array(AdjustmentSchema), total: Type.Integer(), page: Type.Integer(), page_size: Type.Integer() });

export const AdjustmentIdParams = Type.Object({ adjustment_id: Type.String({ minLength: 1, maxLength: 64 }) });
