import { Type, type TSchema } from '@sinclair/typebox';
import { isoDateQuery, MONEY_PATTERN, sortQuery } from '@sudamall/shared';
import { PAYMENT_SORT_FIELDS, REFUND_SORT_FIELDS } from '../app/ports';
import { PAYMENT_STATUSES, type PaymentStatus } from '../domain/payment-status';
import type { ProcessOutcome } from '../app/process-payment';
import { CARD_NUMBER_PATTERN } from '../domain/card';
import { PERCENT_PATTERN } from '../domain/gateway-settings';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Money = Type.String({ pattern: MONEY_PATTERN, examples: ['19.99'] });
const DateTime = Type.String({ format: 'date-time' });
const Id = Type.String({ minLength: 1, maxLength: 100 });

const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

export const PaymentStatusSchema = StringEnum<PaymentStatus>(PAYMENT_STATUSES);

export const PaymentSchema = Type.Object({
  payment_id: Type.String(),
  order_reference: Type.String(),
  user_id: Type.String(),
  gateway: Type.String(),
  payment_method: Type.String(),
  currency: Type.String(),
  amount: Money,
  gateway_fee: Money,
  total_amount: Money,
  /** Reserved (pending) plus completed refunds. */
  refunded_amount: Money,
  /** total_amount − refunded_amount while captured, else 0.00: what an admin's full refund returns. */
  refundable_amount: Money,
  status: PaymentStatusSchema,
  attempt_count: Type.Integer(),
  gateway_transaction_id: Nullable(Type.String()),
  gateway_reference: Nullable(Type.String()),
  failure_reason: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  expires_at: Nullable(DateTime),
  created_at: DateTime,
  updated_at: DateTime,
  completed_at: Nullable(DateTime),
  cancelled_at: Nullable(DateTime),
});

export const AttemptSchema = Type.Object({
  attempt_number: Type.Integer(),
  status: Type.String(),
  failure_code: Nullable(Type.String()),
  failure_reason: Nullable(Type.String()),
  card_last4: Nullable(Type.String()),
  gateway_response: Type.Record(Type.String(), Type.Unknown()),
  created_at: DateTime,
  completed_at: Nullable(DateTime),
});

export const RefundSchema = Type.Object({
  refund_id: Type.String(),
  payment_id: Type.String(),
  amount: Money,
  reason: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('failed')]),
  gateway_refund_id: Nullable(Type.String()),
  failure_reason: Nullable(Type.String()),
  requested_by: Type.String(),
  /** The order's name for a saga refund (payment.refund's refund_key: a part cancelled, a return); null for the others. */
  refund_key: Nullable(Type.String()),
  /** Gateway calls made for it (sends and lookups). */
  attempt_count: Type.Integer(),
  /** Why a pending refund is still pending: its last call's outcome was unknown (timeout, outage). */
  last_error: Nullable(Type.String()),
  created_at: DateTime,
  processed_at: Nullable(DateTime),
});

export const PaymentDetailSchema = Type.Intersect([PaymentSchema, Type.Object({ attempts: Type.Array(AttemptSchema), refunds: Type.Array(RefundSchema) })]);

export const GatewaySchema = Type.Object({
  name: Type.String(),
  display_name: Type.String(),
  type: Type.String(),
  test_mode: Type.Boolean(),
  fixed_fee: Money,
  percentage_fee: Type.String({ description: 'percent of the amount: "2.90" = 2.9 %' }),
});

const pageProps = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

export const pageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), page_size: Type.Integer() });

export const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
});

export const CreatePaymentBody = Type.Object(
  {
    order_id: Id,
    gateway: Type.String({ minLength: 1, maxLength: 50, examples: ['test_gateway'] }),
    payment_method: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  },
  { additionalProperties: false },
);

export const ProcessPaymentBody = Type.Object(
  {
    payment_id: Id,
    card_number: Type.Optional(
      Type.String({
        pattern: CARD_NUMBER_PATTERN,
        description: 'test_gateway only: 12 to 19 digits, a space or dash allowed between digits; never stored (last four digits kept)',
      }),
    ),
    exp_month: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
    exp_year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
    cvc: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$' })),
    payment_method_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Stripe PaymentMethod id (pm_...)' })),
  },
  { additionalProperties: false },
);

export const ProcessPaymentResponse = Type.Object({
  payment: PaymentSchema,
  attempt_number: Type.Integer(),
  outcome: StringEnum<ProcessOutcome>(['succeeded', 'failed', 'requires_action', 'awaiting_collection', 'processing']),
  failure_code: Nullable(Type.String()),
  failure_message: Nullable(Type.String()),
  retryable: Type.Boolean(),
  action_url: Nullable(Type.String()),
});

export const PaymentIdParams = Type.Object({ payment_id: Id });
export const OrderReferenceParams = Type.Object({ order_reference: Id });
export const RefundIdParams = Type.Object({ refund_id: Id });

const createdBetween = {
  created_after: Type.Optional(isoDateQuery('created at or after this instant')),
  created_before: Type.Optional(isoDateQuery('created before this instant')),
};

export const MyPaymentsQuery = Type.Object(
  { ...pageProps, status: Type.Optional(PaymentStatusSchema), ...createdBetween, sort: sortQuery(PAYMENT_SORT_FIELDS, '-created_at') },
  { additionalProperties: false },
);

export const PaymentsQuery = Type.Object(
  {
    ...pageProps,
    status: Type.Optional(PaymentStatusSchema),
    gateway: Type.Optional(Type.String({ minLength: 1, maxLength: 50, examples: ['test_gateway'] })),
    ...createdBetween,
    sort: sortQuery(PAYMENT_SORT_FIELDS, '-created_at'),
  },
  { additionalProperties: false },
);

export const CreateRefundBody = Type.Object(
  {
    payment_id: Id,
    amount: Type.Optional(Type.String({ pattern: MONEY_PATTERN, description: 'omitted: everything not yet refunded' })),
    reason: Type.String({ minLength: 1, maxLength: 500, default: 'Customer request' }),
  },
  { additionalProperties: false },
);

export const RefundsQuery = Type.Object(
  {
    ...pageProps,
    payment_id: Type.Optional(Id),
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('failed')])),
    ...createdBetween,
    sort: sortQuery(REFUND_SORT_FIELDS, '-created_at'),
  },
  { additionalProperties: false },
);

export const PaymentConfigResponse = Type.Object({
  test_mode: Type.Boolean(),
  currency: Type.String(),
  payment_window_minutes: Type.Integer(),
  gateways: Type.Array(Type.String()),
  stripe_publishable_key: Type.String(),
  paypal_client_id: Type.String(),
});

export const TEST_PAYMENT_DEFAULTS = { amount: '10.00', card_number: '4242424242424242' } as const;
export const TestPaymentBody = Type.Object(
  {
    // Optional (the defaults fill them in), so the document does not call them required.
    amount: Type.Optional(Type.String({ pattern: MONEY_PATTERN, default: TEST_PAYMENT_DEFAULTS.amount })),
    card_number: Type.Optional(Type.String({ pattern: CARD_NUMBER_PATTERN, default: TEST_PAYMENT_DEFAULTS.card_number })),
  },
  { additionalProperties: false },
);

export const TestWebhookBody = Type.Object(
  {
    payment_id: Id,
    event: Type.Union([Type.Literal('payment.succeeded'), Type.Literal('payment.failed')], { default: 'payment.succeeded' }),
    event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    transaction_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    failure_code: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const WebhookAckSchema = Type.Object({
  received: Type.Boolean(),
  duplicate: Type.Boolean(),
  applied: Type.Boolean(),
  result: Type.String(),
});

const DuplicateCaptureStatus = Type.Union([Type.Literal('refund_pending'), Type.Literal('refunded'), Type.Literal('refund_failed')]);

export const DuplicateCaptureSchema = Type.Object({
  id: Type.String(),
  payment_id: Type.String(),
  order_id: Type.String(),
  gateway: Type.String(),
  /** The second capture's own gateway transaction (what is refunded; never the one the payment keeps). */
  transaction_id: Type.String(),
  amount: Money,
  currency: Type.String(),
  /** How it was seen: webhook:<provider>:<event id>, charge. */
  source: Type.String(),
  /** The order's payment that keeps its capture, when it is another payment. */
  live_payment_id: Nullable(Type.String()),
  status: DuplicateCaptureStatus,
  gateway_refund_id: Nullable(Type.String()),
  refund_attempts: Type.Integer(),
  last_error: Nullable(Type.String()),
  detected_at: DateTime,
  refunded_at: Nullable(DateTime),
});

export const DuplicateCapturesQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal(''), DuplicateCaptureStatus])),
    order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);

const GatewaySettings = Type.Object({
  fixed_fee: Money,
  percentage_fee: Type.String({ description: 'percent of the amount: "2.90" = 2.9 %' }),
  is_active: Type.Boolean(),
});

export const GatewaySettingsAuditSchema = Type.Object({
  id: Type.String(),
  gateway: Type.String(),
  changed_by: Type.String(),
  actor_role: Type.String(),
  changed_at: Type.String({ format: 'date-time' }),
  old: GatewaySettings,
  new: GatewaySettings,
});

export const GatewaySettingsResponse = Type.Object({
  gateway: Type.Composite([GatewaySchema, Type.Object({ is_active: Type.Boolean() })]),
  audit: Type.Union([GatewaySettingsAuditSchema, Type.Null()], { description: 'the audit row of this change; null when it changed nothing' }),
});

// Fees are decimal strings (a JSON number is read as its text). The patterns say in the document
// what the domain accepts (a client generator and schemathesis read them); the domain checks again.
export const GatewaySettingsBody = Type.Object(
  {
    fixed_fee: Type.Optional(Type.String({ pattern: MONEY_PATTERN, maxLength: 20, description: 'decimal >= 0 with at most 2 decimals, e.g. "0.30"' })),
    percentage_fee: Type.Optional(
      Type.String({ pattern: PERCENT_PATTERN, maxLength: 20, description: 'percent 0..100 with at most 2 decimals, "2.90" = 2.9 %' }),
    ),
    is_active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const GatewayNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
