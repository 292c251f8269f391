import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { instantOf } from '@sudamall/shared';
import type { OrderUseCases } from '../../../container';
import { presentOrderPage, presentProfile } from '../../presenters';
import { ErrorResponse, OrderHistoryQuery, OrderPage } from '../orders/schemas';
import { AddressIdParams, AddressList, AddressSchema, CreateAddressBody, ProfileSchema, UpdateAddressBody, UpdateProfileBody } from './schemas';

const security = [{ bearerAuth: [] }];

/**
 * /api/v1/accounts/... (routed here by the gateway): the buyer's order history, and every user's
 * profile and saved shipping addresses.
 */
export const accountRoutes: FastifyPluginAsyncTypebox<{ useCases: OrderUseCases }> = async (app, { useCases: uc }) => {
  app.get(
    '/order-history/',
    {
      preHandler: app.requireRole('buyer'),
      schema: {
        tags: ['accounts'],
        operationId: 'listOrderHistory',
        summary: "The buyer's order history with items, newest first",
        security: [{ bearerAuth: [] }],
        querystring: OrderHistoryQuery,
        response: { 200: OrderPage, 401: ErrorResponse, 403: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (req) => {
      const { status, created_after, created_before, sort, page, page_size } = req.query;
      const { items, total } = presentOrderPage(
        await uc.listOrders.execute(req.user, {
          status,
          createdAfter: instantOf('created_after', created_after),
          createdBefore: instantOf('created_before', created_before),
          sort,
          page,
          pageSize: page_size,
        }),
      );
      return { items, total, page, page_size };
    },
  );

  const anyone = app.authenticate;

  app.get(
    '/profile/',
    {
      preHandler: anyone,
      schema: {
        tags: ['accounts'],
        operationId: 'getProfile',
        summary: 'Your profile: id, email and role from the token, name and phone kept here',
        security,
        response: { 200: ProfileSchema },
      },
    },
    async (req) => presentProfile(req.user, await uc.getProfile.execute(req.user)),
  );

  app.put(
    '/profile/',
    {
      preHandler: anyone,
      schema: {
        tags: ['accounts'],
        operationId: 'updateProfile',
        summary: 'Change your name or phone (id, email and role come from the token)',
        security,
        body: UpdateProfileBody,
        response: { 200: ProfileSchema },
      },
    },
    async (req) => presentProfile(req.user, await uc.updateProfile.execute(req.user, req.body)),
  );

  app.get(
    '/addresses/',
    {
      preHandler: anyone,
      schema: {
        tags: ['accounts'],
        operationId: 'listAddresses',
        summary: 'Your saved shipping addresses, the default first',
        security,
        response: { 200: AddressList },
      },
    },
    async (req) => ({ items: await uc.listAddresses.execute(req.user) }),
  );

  app.post(
    '/addresses/',
    {
      preHandler: anyone,
      schema: {
        tags: ['accounts'],
        operationId: 'createAddress',
        summary: 'Save a shipping address (the first one is the default; is_default moves the default to it)',
        security,
        body: CreateAddressBody,
        response: { 201: AddressSchema, 409: { ...ErrorResponse, description: 'ADDRESS_LIMIT_REACHED: at most 20 saved addresses' } },
      },
    },
    async (req, reply) => reply.code(201).send(await uc.createAddress.execute(req.user, req.body)),
  );

  app.put(
    '/addresses/:address_id/',
    {
      preHandler: anyone,
      schema: {
        tags: ['accounts'],
        operationId: 'updateAddress',
        summary: 'Change a saved address (only the fields given; is_default true makes it the one default)',
        security,
        params: AddressIdParams,
        body: UpdateAddressBody,
        response: {
          200: AddressSchema,
          409: { ...ErrorResponse, description: 'DEFAULT_ADDRESS_REQUIRED: is_default false on the default address (make another one the default instead)' },
        },
      },
    },
    async (req) => uc.updateAddress.execute(req.user, req.params.address_id, req.body),
  );

  app.delete(
    '/addresses/:address_id/',
    {
      preHandler: anyone,
      schema: {
        tags: ['accounts'],
        operationId: 'deleteAddress',
        summary: 'Delete a saved address (deleting the default makes the oldest remaining one the default)',
        security,
        params: AddressIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await uc.deleteAddress.execute(req.user, req.params.address_id);
      return reply.code(204).send(null);
    },
  );
};
