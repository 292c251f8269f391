// The storefront's typed client: one openapi-fetch client per service, typed by the paths of the
// document that service serves (src/generated, produced at build time by scripts/generate.js from
// the built services). A call to a path, method, parameter or body field the document does not
// have fails to compile; every error answer is typed as the services' one ErrorBody.
import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { HttpMethod, RequestBodyJSON, SuccessResponseJSON } from 'openapi-typescript-helpers';
import type * as cart from './generated/cart';
import type * as inventory from './generated/inventory';
import type * as order from './generated/order';
import type * as payment from './generated/payment';

// Each service's generated `paths`, `operations` and `components`, for naming a body or answer.
export type { cart, inventory, order, payment };

export type InventoryPaths = inventory.paths;
export type CartPaths = cart.paths;
/** Orders and the accounts endpoints (`/api/v1/accounts/…`): both served by the order service. */
export type OrderPaths = order.paths;
export type PaymentPaths = payment.paths;

export const SERVICES = ['inventory', 'cart', 'order', 'payment'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The body of every error answer of every service: `{ error: { code, message, details? } }`. */
export type ErrorBody = inventory.components['schemas']['ErrorBody'];
// One ErrorBody across the four documents (each service serves its own copy): if one drifts,
// this stops compiling rather than the client typing one service's errors wrongly.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameErrorBody: [
  Same<ErrorBody, cart.components['schemas']['ErrorBody']>,
  Same<ErrorBody, order.components['schemas']['ErrorBody']>,
  Same<ErrorBody, payment.components['schemas']['ErrorBody']>,
] = [true, true, true];
void sameErrorBody;

/**
 * The JSON a successful call answers, e.g.
 * `ResponseBody<InventoryPaths, '/api/v1/products/{id}/stock', 'get'>` (a union when several 2xx exist).
 */
export type ResponseBody<Paths, Path extends keyof Paths, Method extends HttpMethod & keyof Paths[Path]> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- because this repeats the constraint openapi-typescript-helpers puts on SuccessResponseJSON (`unknown` would not accept the generated operation types)
  Paths[Path][Method] extends Record<string | number, any> ? SuccessResponseJSON<Paths[Path][Method]> : never;

/** The JSON body a call sends, e.g. `RequestBody<InventoryPaths, '/api/v1/products', 'post'>`. */
export type RequestBody<Paths, Path extends keyof Paths, Method extends HttpMethod & keyof Paths[Path]> = RequestBodyJSON<Paths[Path][Method]>;

/** A bearer token, or a function asked before every request (to refresh an expiring one). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface SudamallClientOptions {
  /**
   * The gateway's base URL (one for every service, e.g. `https://shop.example/` or
   * `http://127.0.0.1:8080` for `npm run up`), or each service's own (no gateway).
   * Paths are absolute (`/api/v1/...`), so a base URL is scheme, host and port only.
   */
  baseUrl: string | Record<ServiceName, string>;
  /** Sent as `Authorization: Bearer <token>`; leave out for the public endpoints only. */
  token?: TokenSource;
  /** Headers on every request (e.g. a tracing header). */
  headers?: ClientOptions['headers'];
  /** A fetch of your own (tests, retries, timeouts); globalThis.fetch by default. */
  fetch?: ClientOptions['fetch'];
}

/** One typed client per service; all four share the options they were created with. */
export interface SudamallClient {
  inventory: Client<InventoryPaths>;
  cart: Client<CartPaths>;
  order: Client<OrderPaths>;
  payment: Client<PaymentPaths>;
}

/** openapi-fetch middleware adding `Authorization: Bearer <token>` when there is a token. */
export function bearerAuth(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      const value = typeof token === 'function' ? await token() : token;
      if (value) request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  };
}

function serviceClient<Paths extends object>(service: ServiceName, options: SudamallClientOptions): Client<Paths> {
  const baseUrl = typeof options.baseUrl === 'string' ? options.baseUrl : options.baseUrl[service];
  const client = createClient<Paths>({ baseUrl, headers: options.headers, ...(options.fetch ? { fetch: options.fetch } : {}) });
  if (options.token !== undefined) client.use(bearerAuth(options.token));
  return client;
}

/**
 * The four services' clients for one caller (one token). Each call answers openapi-fetch's
 * `{ data, error, response }`: `data` typed by the route's 2xx answers, `error` an ErrorBody.
 */
export function createSudamallClient(options: SudamallClientOptions): SudamallClient {
  return {
    inventory: serviceClient<InventoryPaths>('inventory', options),
    cart: serviceClient<CartPaths>('cart', options),
    order: serviceClient<OrderPaths>('order', options),
    payment: serviceClient<PaymentPaths>('payment', options),
  };
}

/** An error answer (4xx/5xx) as an exception, thrown by ok(). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The service's ErrorBody; undefined when something else (a proxy's page) answered. */
    readonly body: ErrorBody | undefined,
    /** The URL that answered. */
    readonly url: string,
  ) {
    super(`${status} ${body?.error?.code ?? ''} ${body?.error?.message ?? ''} (${url})`.replace(/ +/g, ' '));
    this.name = 'ApiError';
  }

  /** The stable error code (`INSUFFICIENT_STOCK`, `PRICES_CHANGED`, ...), if the body had one. */
  get code(): string | undefined {
    return this.body?.error?.code;
  }
}

const isErrorBody = (value: unknown): value is ErrorBody =>
  typeof value === 'object' && value !== null && typeof (value as { error?: { code?: unknown } }).error?.code === 'string';

/**
 * The answer's data, or an ApiError for an error answer, for code that treats every error the
 * same way: `const cart = await ok(api.cart.GET('/api/v1/carts'))`.
 */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    throw new ApiError(response.status, isErrorBody(error) ? error : undefined, response.url);
  }
  return data as T;
}
