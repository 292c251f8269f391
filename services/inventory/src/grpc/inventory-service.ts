// gRPC handlers: translate protobuf ↔ use case, nothing else. Typed by the generated
// InventoryServiceServer, so a missing RPC does not compile.
import { grpcHandler } from '@sudamall/shared';
import { inventory as pb } from '@sudamall/proto';
import type { Catalogue, ProductView, SnapshotView } from '../app/catalogue';
import type { ReservationEngine } from '../app/reservation-engine';
import type { ReservationStatus } from '../domain/reservation';
import type { ConfirmStatus, ReleaseStatus } from '../infra/reservation-store';

export interface InventoryGrpcDeps {
  catalogue: Catalogue;
  engine: ReservationEngine;
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

function productToPb(p: ProductView): pb.Product {
  return {
    id: p.id,
    productName: p.product_name,
    productDescription: p.product_description,
    price: p.price,
    ...(p.sale_price !== null ? { salePrice: p.sale_price } : {}),
    currentPrice: p.current_price,
    images: p.images,
    color: p.color,
    brand: p.brand,
    category: p.category,
    storeId: p.store_id,
    ownerId: p.owner_id,
    hasSizes: p.has_sizes,
    deleted: p.deleted,
    availableQuantity: p.available_quantity,
    reservedQuantity: p.reserved_quantity,
    // Other services see everything (the catalogue builds their views with sales shown).
    soldQuantity: p.sold_quantity ?? 0,
    sizes: p.sizes.map((s) => ({
      sizeId: s.size_id,
      size: s.size,
      availableQuantity: s.available_quantity,
      reservedQuantity: s.reserved_quantity,
      soldQuantity: s.sold_quantity ?? 0,
    })),
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

function snapshotToPb(s: SnapshotView): pb.ProductSnapshot {
  return {
    snapshotId: s.snapshot_id,
    productId: s.product_id,
    productName: s.product_name,
    productDescription: s.product_description,
    price: s.price,
    ...(s.sale_price !== null ? { salePrice: s.sale_price } : {}),
    currentPrice: s.current_price,
    color: s.color,
    brand: s.brand,
    category: s.category,
    size: s.size,
    storeId: s.store_id,
    createdAt: s.created_at,
    reason: s.reason,
  };
}

export function inventoryGrpcService({ catalogue, engine }: InventoryGrpcDeps): pb.InventoryServiceServer {
  return {
    getProducts: grpcHandler(async (req: pb.GetProductsRequest): Promise<pb.GetProductsResponse> => {
      const r = await catalogue.getProducts(req.ids);
      return { products: r.products.map(productToPb), missingIds: r.missing_ids };
    }),

    checkAvailability: grpcHandler(async (req: pb.CheckAvailabilityRequest): Promise<pb.CheckAvailabilityResponse> => {
      const r = await catalogue.checkAvailability(req.lines.map((l) => ({ product_id: l.productId, size: l.size, quantity: l.quantity })));
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

    reserve: grpcHandler(async (req: pb.ReserveRequest): Promise<pb.ReserveResponse> => {
      const outcome = await engine.reserve({
        order_id: req.orderId,
        lines: req.lines.map((l) => ({ line_id: l.lineId, product_id: l.productId, size: l.size, quantity: l.quantity })),
        ttl_seconds: req.ttlSeconds,
      });
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
    }),

    release: grpcHandler(async (req: pb.ReleaseRequest): Promise<pb.ReleaseResponse> => {
      const r = await engine.release(req.orderId, req.reason || 'released');
      return { orderId: r.order_id, status: RELEASE_STATUS[r.status], releasedLines: r.lines };
    }),

    confirm: grpcHandler(async (req: pb.ConfirmRequest): Promise<pb.ConfirmResponse> => {
      const r = await engine.confirm(req.orderId);
      return { orderId: r.order_id, status: CONFIRM_STATUS[r.status], confirmedLines: r.lines };
    }),

    createSnapshots: grpcHandler(async (req: pb.CreateSnapshotsRequest): Promise<pb.CreateSnapshotsResponse> => {
      const snapshots = await catalogue.createSnapshots(
        req.items.map((i) => ({ product_id: i.productId, size: i.size })),
        req.reason,
      );
      return { snapshots: snapshots.map(snapshotToPb) };
    }),

    getSnapshot: grpcHandler(async (req: pb.GetSnapshotRequest): Promise<pb.GetSnapshotResponse> => {
      return { snapshot: snapshotToPb(await catalogue.getSnapshot(req.snapshotId)) };
    }),
  };
}
