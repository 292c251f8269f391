// gRPC handlers: translate protobuf ↔ use case, nothing else. Typed by the generated
// InventoryServiceServer, so a missing RPC does not compile.
import { status } from '@grpc/grpc-js';
import { asUnavailable, formatMoney, grpcHandler, grpcStatusOf, isDomainError } from '@sudamall/shared';
import { inventory as pb } from '@sudamall/proto';
import type { Logger } from 'pino';
import type { ReservationEngine } from '../app/reservation-engine';
import type { CatalogueUseCases, ReservationUseCases } from '../container';
import { priceOf, priceString, type ProductRecord, type SnapshotRecord, type StockRecord } from '../domain/product';
import type { ReservationStatus, ReserveOutcome } from '../domain/reservation';
import type { ConfirmStatus, ReleaseStatus } from '../infra/reservation-store';

export interface InventoryGrpcDeps {
  useCases: Pick<CatalogueUseCases, 'getProducts' | 'checkAvailability' | 'createSnapshots' | 'getSnapshot'>;
  engine: ReservationEngine;
  reservations: Pick<ReservationUseCases, 'confirm' | 'release'>;
  /** Where a ReserveBatch entry's unexpected failure is logged (a whole call's goes to grpcHandler's). */
  logger?: Logger;
}

const RESERVATION_STATUS: Record<ReservationStatus, pb.ReservationStatus> = {
  reserved: pb.ReservationStatus.RESERVATION_STATUS_RESERVED,
  confirmed: pb.ReservationStatus.RESERVATION_STATUS_CONFIRMED,
  released: pb.ReservationStatus.RESERVATION_STATUS_RELEASED,
  expired: pb.ReservationStatus.RESERVATION_STATUS_EXPIRED,
};
const CONFIRM_STATUS: Record<ConfirmStatus, pb.ConfirmStatus> = {
  confirmed: pb.ConfirmStatus.CONFIRM_STATUS_CONFIRMED,
  already_confirmed: pb.ConfirmStatus.CONFIRM_STATUS_ALREADY_CONFIRMED,
  already_released: pb.ConfirmStatus.CONFIRM_STATUS_ALREADY_RELEASED,
  not_found: pb.ConfirmStatus.CONFIRM_STATUS_NOT_FOUND,
};
const RELEASE_STATUS: Record<ReleaseStatus, pb.ReleaseStatus> = {
  released: pb.ReleaseStatus.RELEASE_STATUS_RELEASED,
  already_released: pb.ReleaseStatus.RELEASE_STATUS_ALREADY_RELEASED,
  already_confirmed: pb.ReleaseStatus.RELEASE_STATUS_ALREADY_CONFIRMED,
  not_found: pb.ReleaseStatus.RELEASE_STATUS_NOT_FOUND,
};

// Other services see everything: sold quantities included.
function productToPb(p: ProductRecord): pb.Product {
  const sizes = [...p.stock].sort((a, b) => a.size.localeCompare(b.size));
  const sum = (f: (r: StockRecord) => number) => sizes.reduce((n, r) => n + f(r), 0);
  return {
    id: p.id,
    productName: p.productName,
    productDescription: p.productDescription,
    price: priceString(p.price),
    ...(p.salePrice !== null ? { salePrice: priceString(p.salePrice) } : {}),
    currentPrice: formatMoney(priceOf(p)),
    images: p.images,
    color: p.color,
    brand: p.brand,
    category: p.category,
    storeId: p.storeId,
    ownerId: p.ownerId,
    hasSizes: p.hasSizes,
    deleted: p.deletedAt !== null,
    availableQuantity: sum((r) => r.available),
    reservedQuantity: sum((r) => r.reserved),
    soldQuantity: sum((r) => r.sold),
    sizes: p.hasSizes
      ? sizes.map((s) => ({
          sizeId: s.id,
          size: s.size,
          availableQuantity: s.available,
          reservedQuantity: s.reserved,
          soldQuantity: s.sold,
        }))
      : [],
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

function snapshotToPb(s: SnapshotRecord): pb.ProductSnapshot {
  return {
    snapshotId: s.id,
    productId: s.productId,
    productName: s.productName,
    productDescription: s.productDescription,
    price: priceString(s.price),
    ...(s.salePrice !== null ? { salePrice: priceString(s.salePrice) } : {}),
    currentPrice: priceString(s.currentPrice ?? s.price),
    color: s.color,
    brand: s.brand,
    category: s.category,
    size: s.size,
    storeId: s.storeId,
    createdAt: s.createdAt.toISOString(),
    reason: s.reason,
    productState: s.productState,
  };
}

function reserveInputOf(req: pb.ReserveRequest) {
  return {
    order_id: req.orderId,
    lines: req.lines.map((l) => ({ line_id: l.lineId, product_id: l.productId, size: l.size, quantity: l.quantity })),
    ttl_seconds: req.ttlSeconds,
  };
}

function reserveResponseOf(outcome: ReserveOutcome): pb.ReserveResponse {
  if (outcome.status === 'reserved') {
    return {
      orderId: outcome.order_id,
      status: pb.ReserveStatus.RESERVE_STATUS_RESERVED,
      reservations: outcome.lines.map((l) => ({
        reservationId: l.reservation_id,
        lineId: l.line_id,
        productId: l.product_id,
        size: l.size,
        quantity: l.quantity,
        status: RESERVATION_STATUS[l.status],
      })),
      shortLines: [],
      expiresAt: outcome.expires_at,
    };
  }
  return {
    orderId: outcome.order_id,
    status: pb.ReserveStatus.RESERVE_STATUS_REJECTED,
    reservations: [],
    shortLines: outcome.short_lines.map((l) => ({
      lineId: l.line_id,
      productId: l.product_id,
      size: l.size,
      requested: l.requested,
      available: l.available,
      code: l.code,
    })),
    expiresAt: '',
  };
}

/** An entry of ReserveBatch that failed: what Reserve would have failed with (its code and status), internals hidden. */
function reserveErrorOf(e: unknown, logger: Logger | undefined): pb.ReserveError {
  const err = isDomainError(e) ? e : asUnavailable(e);
  if (err) return { code: err.code, message: err.message, grpcStatus: grpcStatusOf(err) };
  logger?.error({ err: e }, 'a ReserveBatch entry failed');
  return { code: 'INTERNAL', message: 'internal error', grpcStatus: status.INTERNAL };
}

export function inventoryGrpcService({ useCases, engine, reservations, logger }: InventoryGrpcDeps): pb.InventoryServiceServer {
  return {
    getProducts: grpcHandler(async (req: pb.GetProductsRequest): Promise<pb.GetProductsResponse> => {
      const r = await useCases.getProducts.execute(req.ids);
      return { products: r.products.map(productToPb), missingIds: r.missingIds };
    }),

    checkAvailability: grpcHandler(async (req: pb.CheckAvailabilityRequest): Promise<pb.CheckAvailabilityResponse> => {
      const r = await useCases.checkAvailability.execute(req.lines.map((l) => ({ product_id: l.productId, size: l.size, quantity: l.quantity })));
      return {
        allAvailable: r.all_available,
        lines: r.lines.map((l) => ({
          productId: l.product_id,
          size: l.size,
          requested: l.requested,
          available: l.available,
          availableQuantity: l.available_quantity,
          code: l.code,
          price: l.price,
          currentPrice: l.current_price,
          productName: l.product_name,
        })),
      };
    }),

    reserve: grpcHandler(async (req: pb.ReserveRequest): Promise<pb.ReserveResponse> => reserveResponseOf(await engine.reserve(reserveInputOf(req)))),

    reserveBatch: grpcHandler(async (req: pb.ReserveBatchRequest): Promise<pb.ReserveBatchResponse> => {
      const settled = await engine.reserveMany(req.reservations.map(reserveInputOf));
      return {
        results: settled.map((s) =>
          s.status === 'fulfilled'
            ? { result: { $case: 'response', response: reserveResponseOf(s.value) } }
            : { result: { $case: 'error', error: reserveErrorOf(s.reason, logger) } },
        ),
      };
    }),

    release: grpcHandler(async (req: pb.ReleaseRequest): Promise<pb.ReleaseResponse> => {
      const r = await reservations.release.execute(req.orderId, req.reason || 'released');
      return { orderId: r.order_id, status: RELEASE_STATUS[r.status], releasedLines: r.lines };
    }),

    confirm: grpcHandler(async (req: pb.ConfirmRequest): Promise<pb.ConfirmResponse> => {
      const r = await reservations.confirm.execute(req.orderId);
      return { orderId: r.order_id, status: CONFIRM_STATUS[r.status], confirmedLines: r.lines };
    }),

    createSnapshots: grpcHandler(async (req: pb.CreateSnapshotsRequest): Promise<pb.CreateSnapshotsResponse> => {
      const snapshots = await useCases.createSnapshots.execute(
        req.items.map((i) => ({ product_id: i.productId, size: i.size })),
        req.reason,
      );
      return { snapshots: snapshots.map(snapshotToPb) };
    }),

    getSnapshot: grpcHandler(async (req: pb.GetSnapshotRequest): Promise<pb.GetSnapshotResponse> => {
      return { snapshot: snapshotToPb(await useCases.getSnapshot.execute(req.snapshotId)) };
    }),
  };
}
