// /api/v1/products: parse, call one use case, answer through the presenters. No rules here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { CatalogueUseCases } from '../../../container';
import { presentPage, presentProduct, presentProductStock, presentSnapshot, presentStock, presentViewedProduct } from '../../presenters';
import {
  AdjustStockBody,
  CreateProductBody,
  ErrorResponse,
  HistoryPage,
  ListProductsQuery,
  PageQuery,
  ProductIdParams,
  ProductPage,
  ProductResponse,
  RenameSizeBody,
  SetStockBody,
  SizeParams,
  StockResponse,
  UpdateProductBody,
} from './schemas';

export interface ProductRoutesOptions {
  useCases: CatalogueUseCases;
}

const bearer = [{ bearerAuth: [] }];
// Public reads: anyone, and a token (when sent, it must be valid) shows the store's own sellers
// and admins what only they see (sold quantities).
const optionalBearer = [{}, { bearerAuth: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const SizeRule = { ...ErrorResponse, description: 'SIZE_REQUIRED / SIZE_NOT_ALLOWED: `size` given for a product without sizes, or missing for one with sizes' };
const SALES_NOTE = "`sold_quantity` is shown only to the sellers of the product's store and to admins (send a bearer token).";

export const productRoutes: FastifyPluginAsyncTypebox<ProductRoutesOptions> = async (app, { useCases }) => {
  const tags = ['products'];
  const optionalAuth: typeof app.authenticate = async (req, reply) => {
    if (req.headers.authorization !== undefined) await app.authenticate(req, reply);
  };

  app.get(
    '/',
    {
      preHandler: optionalAuth,
      schema: {
        tags,
        operationId: 'listProducts',
        summary: 'Products, filtered, sorted and paged (public)',
        description:
          'Deleted products are left out. Filters: `category`, `brand` (exact, any case), `store_id`, `q` (name or description contains it, any case), ' +
          '`min_price`/`max_price` (on `current_price`, what a buyer pays now), `in_stock`. ' +
          SALES_NOTE,
        security: optionalBearer,
        querystring: ListProductsQuery,
        response: { 200: ProductPage, 400: ErrorResponse, 401: ErrorResponse },
      },
    },
    async (req) => presentPage(await useCases.listProducts.execute(req.query, req.user), presentViewedProduct),
  );

  app.get(
    '/:id/',
    {
      preHandler: optionalAuth,
      schema: {
        tags,
        operationId: 'getProduct',
        summary: 'One product with its prices, images, sizes and stock (public)',
        description: SALES_NOTE,
        security: optionalBearer,
        params: ProductIdParams,
        response: { 200: ProductResponse, 401: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req) => presentViewedProduct(await useCases.getProduct.execute(req.params.id, req.user)),
  );

  app.get(
    '/:id/stock/',
    {
      preHandler: optionalAuth,
      schema: {
        tags,
        operationId: 'getProductStock',
        summary: 'Available and reserved units (and sold, for its store), per size (public)',
        description: SALES_NOTE,
        security: optionalBearer,
        params: ProductIdParams,
        response: { 200: StockResponse, 401: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req) => presentProductStock(await useCases.getProduct.execute(req.params.id, req.user)),
  );

  app.get(
    '/:id/history/',
    {
      preHandler: app.authenticate,
      schema: {
        tags,
        operationId: 'getProductHistory',
        summary: "The product's change history (prices, name, description...), newest first (authenticated)",
        description:
          'One entry per creation, change and deletion, each a full copy of the product then (`snapshot_taken_at`, `product_price`, ' +
          '`sale_price`, `current_price`, name, description...). The snapshots taken for orders are not listed: each order keeps its own on its items.',
        security: bearer,
        params: ProductIdParams,
        querystring: PageQuery,
        response: { 200: HistoryPage, ...errors },
      },
    },
    async (req) => presentPage(await useCases.getProductHistory.execute(req.params.id, req.query.page, req.query.page_size), presentSnapshot),
  );

  app.post(
    '/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'createProduct',
        summary: "List a product in the seller's store (sellers, admins)",
        description: 'A product with sizes takes `sizes` (each with its stock); one without takes `available_quantity`.',
        security: bearer,
        body: CreateProductBody,
        response: {
          201: ProductResponse,
          422: {
            ...ErrorResponse,
            description:
              'SALE_PRICE_NOT_BELOW_PRICE: the sale price is not below the price; SIZES_REQUIRED / SIZES_NOT_ALLOWED: `sizes` and `has_sizes` disagree; STORE_REQUIRED: an admin gave no store_id',
          },
          ...errors,
        },
      },
    },
    async (req, reply) => reply.status(201).send(presentProduct(await useCases.createProduct.execute(req.user, req.body))),
  );

  app.patch(
    '/:id/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'updateProduct',
        summary: "Change a product's details, price, sale price or images (its store's seller, admins)",
        description:
          'A change of what a buyer pays (`current_price`: the sale price when set, else the price) is announced to carts, and a checkout ' +
          'refuses it with 409 PRICES_CHANGED until the buyer has read the cart again. `sale_price: null` ends a sale.',
        security: bearer,
        params: ProductIdParams,
        body: UpdateProductBody,
        response: {
          200: ProductResponse,
          422: { ...ErrorResponse, description: 'SALE_PRICE_NOT_BELOW_PRICE: the sale price (given, or kept while the price changes) is not below the price' },
          ...errors,
        },
      },
    },
    async (req) => presentProduct(await useCases.updateProduct.execute(req.user, req.params.id, req.body)),
  );

  app.put(
    '/:id/stock/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'setProductStock',
        summary: "Set the available units (of one size) to a count (its store's seller, admins)",
        security: bearer,
        params: ProductIdParams,
        body: SetStockBody,
        response: { 200: StockResponse, 422: SizeRule, ...errors },
      },
    },
    async (req) => presentStock(await useCases.setStock.execute(req.user, req.params.id, req.body)),
  );

  app.post(
    '/:id/stock/adjust/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'adjustProductStock',
        summary: "Add or remove available units, with a reason (its store's seller, admins)",
        security: bearer,
        params: ProductIdParams,
        body: AdjustStockBody,
        response: {
          200: StockResponse,
          409: { ...ErrorResponse, description: 'INSUFFICIENT_STOCK: removing more units than are available' },
          422: SizeRule,
          ...errors,
        },
      },
    },
    async (req) => presentStock(await useCases.adjustStock.execute(req.user, req.params.id, req.body)),
  );

  app.patch(
    '/:id/sizes/:size_id/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'renameProductSize',
        summary: "Rename a size (its store's seller, admins)",
        description: 'Carts holding the size keep their lines under the new name (`product.size_renamed`).',
        security: bearer,
        params: SizeParams,
        body: RenameSizeBody,
        response: {
          200: StockResponse,
          409: {
            ...ErrorResponse,
            description: 'SIZE_HAS_RESERVATIONS: units of the size are reserved by orders; SIZE_EXISTS: the product has (or had, removed) a size of that name',
          },
          ...errors,
        },
      },
    },
    async (req) => presentStock(await useCases.renameSize.execute(req.user, req.params.id, req.params.size_id, req.body.size)),
  );

  app.delete(
    '/:id/sizes/:size_id/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'removeProductSize',
        summary: "Remove a size (its store's seller, admins)",
        description:
          'Its available units leave the catalogue (logged as a stock adjustment, reason `size_removed`); sold units stay as history. ' +
          'Carts holding the size drop the line. PUT `/{id}/stock/` with the same name brings the size back.',
        security: bearer,
        params: SizeParams,
        response: {
          204: Type.Null({ description: 'removed' }),
          409: { ...ErrorResponse, description: 'SIZE_HAS_RESERVATIONS: units of the size are reserved by orders (try again once they are paid or released)' },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      await useCases.removeSize.execute(req.user, req.params.id, req.params.size_id);
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/:id/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'deleteProduct',
        summary: "Delete a product: no longer listed or sold; orders keep their snapshots (its store's seller, admins)",
        security: bearer,
        params: ProductIdParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errors },
      },
    },
    async (req, reply) => {
      await useCases.deleteProduct.execute(req.user, req.params.id);
      return reply.status(204).send(null);
    },
  );
};
