import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OrderUseCases } from '../../../container';
import { ErrorResponse, ListOrdersQuery, OrderPage } from '../orders/schemas';

/** /api/v1/accounts/order-history/: the buyer's orders with their items (routed here by the gateway). */
export const accountRoutes: FastifyPluginAsyncTypebox<{ useCases: OrderUseCases }> = async (app, { useCases: uc }) => {
  app.get(
    '/order-history/',
    {
      preHandler: app.requireRole('buyer'),
      schema: {
        tags: ['accounts'],
        operationId: 'listOrderHistory',
        summary: "The buyer's order history with items, newest first",
        security: [{ bearerAuth: [] }], querystring: ListOrdersQuery, response: { 200: OrderPage, 401: ErrorResponse, 403: ErrorResponse },
      },
    },
    async (req) => {
      const { status, page, page_size } = req.query;
      const { items, total } = await uc.queries.listOwn(req.user, { status, page, pageSize: page_size });
      return { items, total, page, page_size };
    },
  );
};
