// /api/v1/products: parse, call one catalogue use case, answer. No rules here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Catalogue } from '../../../app/catalogue';
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
  SetStockBody,
  StockResponse,
  UpdateProductBody,
} from './schemas';

export interface ProductRoutesOptions {
  catalogue: Catalogue;
}

const bearer = [{ bearerAuth: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

export const productRoutes: FastifyPluginAsyncTypebox<ProductRoutesOptions> = async (app, { catalogue }) => {
  const tags = ['products'];

  app.get('/', {
    schema: {
      tags,
      operationId: 'listProducts',
      summary: 'Products, filtered and paged (public)',
      description: 'Deleted products are left out. `in_stock=true` keeps products with units available (in any size).',
      querystring: ListProductsQuery,
      response: { 200: ProductPage, 400: ErrorResponse },
    },
  }, async (req) =>
    catalogue.list(req.query),
  );

  app.get('/:id/', { schema: { tags, operationId: 'getProduct', summary: 'One product with its sizes and stock (public)', params: ProductIdParams, response: { 200: ProductResponse, 404: ErrorResponse } } }, async (req) =>
    catalogue.detail(req.params.id),
  );

  app.get('/:id/stock/', { schema: { tags, operationId: 'getProductStock', summary: 'Available, reserved and sold units, per size (public)', params: ProductIdParams, response: { 200: StockResponse, 404: ErrorResponse } } }, async (req) =>
    catalogue.stock(req.params.id),
  );

  app.get(
    '/:id/history/',
    {
      preHandler: app.authenticate,
      schema: {
        tags,
        operationId: 'getProductHistory',
        summary: 'Snapshots of the product as orders saw it, newest first',
        security: bearer,
        params: ProductIdParams,
        querystring: PageQuery,
        response: { 200: HistoryPage, ...errors },
      },
    },
    async (req) => catalogue.history(req.params.id, req.query.page, req.query.page_size),
  );

  app.post(
    '/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'createProduct',
        summary: 'List a product in the seller\'s store (sellers, admins)',
        description: 'A product with sizes takes `sizes` (each with its stock); one without takes `available_quantity`.',
        security: bearer,
        body: CreateProductBody,
        response: { 201: ProductResponse, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(await catalogue.create(req.user, req.body)),
  );

  app.patch(
    '/:id/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'updateProduct',
        summary: 'Change a product\'s details or price (its store\'s seller, admins)',
        security: bearer,
        params: ProductIdParams,
        body: UpdateProductBody,
        response: { 200: ProductResponse, ...errors },
      },
    },
    async (req) => catalogue.update(req.user, req.params.id, req.body),
  );

  app.put(
    '/:id/stock/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'setProductStock',
        summary: 'Set the available units (of one size) to a count (its store\'s seller, admins)',
        security: bearer,
        params: ProductIdParams,
        body: SetStockBody,
        response: { 200: StockResponse, ...errors },
      },
    },
    async (req) => catalogue.setStock(req.user, req.params.id, req.body),
  );

  app.post(
    '/:id/stock/adjust/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'adjustProductStock',
        summary: 'Add or remove available units, with a reason (its store\'s seller, admins)',
        security: bearer,
        params: ProductIdParams,
        body: AdjustStockBody,
        response: {
          200: StockResponse,
          409: { ...ErrorResponse, description: 'INSUFFICIENT_STOCK: removing more units than are available' },
          ...errors,
        },
      },
    },
    async (req) => catalogue.adjustStock(req.user, req.params.id, req.body),
  );

  app.delete(
    '/:id/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags,
        operationId: 'deleteProduct',
        summary: 'Delete a product: no longer listed or sold; orders keep their snapshots (its store\'s seller, admins)',
        security: bearer,
        params: ProductIdParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errors },
      },
    },
    async (req, reply) => {
      await catalogue.remove(req.user, req.params.id);
      return reply.status(204).send(null);
    },
  );
};
