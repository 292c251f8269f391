import { promisifyUnary } from '@sudamall/shared';
import type { payment } from '@sudamall/proto';
import type {
  AdminActionRecord,
  PaymentLookupPort,
  PaymentView,
  SagaAdminStore,
  SagaAdminTx,
  SagaListFilters,
  SagaListResult,
  SagaRecord,
  StepLogView,
} from '../app/saga-admin';
import type { Clock } from '../app/ports';
import { isUuid } from '../domain/errors';
import type { Prisma } from '../generated/prisma/client';
import type { SagaCommand } from '../saga/saga-types';
import { checkoutTx } from './checkout-store';
import type { Db } from './prisma';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

type ActionRow = Prisma.SagaAdminActionGetPayload<object>;
const actionView = (r: ActionRow): AdminActionRecord => ({
  action: r.action,
  idempotency_key: r.idempotencyKey,
  actor_id: r.actorId,
  actor_role: r.actorRole,
  note: r.note,
  state_before: r.stateBefore,
  step_before: r.stepBefore,
  state_after: r.stateAfter,
  created_at: r.createdAt.toISOString(),
});

/** The dashboard's reads and the actions' transaction over Prisma. */
export class PrismaSagaAdminStore<Order> implements SagaAdminStore<Order> {
  constructor(
    private readonly db: Db,
    /** The order as the dashboard shows it (GET orders/{id}/'s shape, given by the container). */
    private readonly orderDetail: SagaAdminStore<Order>['order'],
    private readonly clock: Clock,
  ) {}

  run<T>(fn: (tx: SagaAdminTx) => Promise<T>): Promise<T> {
    return this.db.$transaction(
      async (tx) =>
        fn({
          ...checkoutTx(tx, this.clock),
          async findAction(orderId, idempotencyKey) {
            const row = await tx.sagaAdminAction.findUnique({ where: { orderId_idempotencyKey: { orderId, idempotencyKey } } });
            return row ? actionView(row) : null;
          },
          async recordAction(orderId, r) {
            const row = await tx.sagaAdminAction.create({
              data: {
                orderId,
                action: r.action,
                idempotencyKey: r.idempotency_key,
                actorId: r.actor_id,
                actorRole: r.actor_role,
                note: r.note,
                stateBefore: r.state_before,
                stepBefore: r.step_before,
                stateAfter: r.state_after,
              },
            });
            return actionView(row);
          },
          async appendAdminLog(orderId, e) {
            await tx.sagaStepLog.create({ data: { orderId, step: e.step, kind: e.kind, type: e.type, payload: e.payload as Prisma.InputJsonValue } });
          },
        }),
      { timeout: 15000, maxWait: 10000 },
    );
  }

  async list(f: SagaListFilters, now: Date): Promise<SagaListResult> {
    const orderFilter: Prisma.OrderWhereInput = f.userId ? { userId: f.userId } : {};
    const where: Prisma.SagaInstanceWhereInput = {
      ...(f.state ? { state: f.state } : {}),
      ...(f.stuck !== undefined ? { stuck: f.stuck } : {}),
      ...(f.olderThanSeconds !== undefined ? { createdAt: { lte: new Date(now.getTime() - f.olderThanSeconds * 1000) } } : {}),
      // An order id that is not a UUID names no order: an empty page, not a database error.
      ...(f.orderId !== undefined ? { orderId: isUuid(f.orderId) ? f.orderId : '00000000-0000-0000-0000-000000000000' } : {}),
      ...(f.userId ? { order: orderFilter } : {}),
    };
    const [rows, total, byState, stuck] = await Promise.all([
      this.db.sagaInstance.findMany({
        where,
        include: { order: { select: { userId: true, status: true, totalAmount: true } } },
        orderBy: [{ createdAt: 'desc' }, { orderId: 'desc' }],
        skip: (f.page - 1) * f.pageSize,
        take: f.pageSize,
      }),
      this.db.sagaInstance.count({ where }),
      this.db.sagaInstance.groupBy({ by: ['state'], _count: { _all: true } }),
      this.db.sagaInstance.count({ where: { stuck: true } }),
    ]);
    return {
      items: rows.map((s) => ({
        order_id: s.orderId,
        user_id: s.order.userId,
        order_status: s.order.status,
        total_amount: s.order.totalAmount.toFixed(2),
        state: s.state,
        step: s.currentStep,
        attempts: s.attempts,
        stuck: s.stuck,
        last_error: s.lastError,
        trace_id: s.traceId,
        deadline_at: iso(s.deadlineAt),
        next_retry_at: iso(s.nextRetryAt),
        age_seconds: Math.max(0, Math.floor((now.getTime() - s.createdAt.getTime()) / 1000)),
        created_at: s.createdAt.toISOString(),
        updated_at: s.updatedAt.toISOString(),
      })),
      total,
      counts: Object.fromEntries(byState.map((g) => [g.state, g._count._all])),
      stuck_count: stuck,
    };
  }

  async saga(orderId: string): Promise<SagaRecord | null> {
    if (!isUuid(orderId)) return null;
    const s = await this.db.sagaInstance.findUnique({ where: { orderId } });
    if (!s) return null;
    return {
      state: s.state,
      step: s.currentStep,
      attempts: s.attempts,
      stuck: s.stuck,
      last_error: s.lastError,
      trace_id: s.traceId,
      step_started_at: s.stepStartedAt.toISOString(),
      deadline_at: iso(s.deadlineAt),
      next_retry_at: iso(s.nextRetryAt),
      awaiting: s.awaiting as unknown as SagaCommand[],
      context: s.context,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    };
  }

  async steps(orderId: string): Promise<StepLogView[]> {
    if (!isUuid(orderId)) return [];
    const rows = await this.db.sagaStepLog.findMany({ where: { orderId }, orderBy: { id: 'asc' }, take: 1000 });
    return rows.map((r) => ({ id: r.id.toString(), step: r.step, kind: r.kind, type: r.type, payload: r.payload, created_at: r.createdAt.toISOString() }));
  }

  async actions(orderId: string): Promise<AdminActionRecord[]> {
    if (!isUuid(orderId)) return [];
    const rows = await this.db.sagaAdminAction.findMany({ where: { orderId }, orderBy: { id: 'asc' } });
    return rows.map(actionView);
  }

  order(orderId: string) {
    return this.orderDetail(orderId);
  }
}

type PaymentClient = InstanceType<typeof payment.PaymentServiceClient>;

/** The order's latest payment over payment's gRPC API: GetPaymentStatus for its id, GetPayment for attempts. */
export class GrpcPaymentLookup implements PaymentLookupPort {
  private readonly statusCall;
  private readonly paymentCall;

  constructor(
    client: PaymentClient,
    private readonly deadlineMs = 1500,
  ) {
    this.statusCall = promisifyUnary(client, 'getPaymentStatus');
    this.paymentCall = promisifyUnary(client, 'getPayment');
  }

  async paymentOf(orderId: string): Promise<PaymentView | null> {
    try {
      const s = await this.statusCall({ orderId }, { deadlineMs: this.deadlineMs });
      const { payment: p } = await this.paymentCall({ paymentId: s.paymentId }, { deadlineMs: this.deadlineMs });
      if (!p) return null;
      return {
        payment_id: p.paymentId,
        status: p.status,
        amount: p.amount,
        gateway_fee: p.gatewayFee,
        total_amount: p.totalAmount,
        refunded_amount: p.refundedAmount,
        gateway: p.gateway,
        payment_method: p.paymentMethod,
        attempt_count: p.attemptCount,
        failure_reason: p.failureReason,
        created_at: p.createdAt,
        updated_at: p.updatedAt,
        completed_at: p.completedAt,
      };
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not_found') return null;
      throw err;
    }
  }
}
