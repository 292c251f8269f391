// How requests are checked against the route schemas. Fastify's Ajv coerces types everywhere
// (coerceTypes: 'array'): right for the path and the query string, which arrive as text
// (`?page=2` is the integer 2), wrong for a JSON body, where `"quantity": "2"`, `"is_default": "yes"`
// or `"phone": 123` are not what the document says and were accepted anyway (schemathesis:
// "schema-violating request accepted"). So bodies are validated without coercion; every other
// part keeps fastify's defaults. Pass `schemaController` to Fastify({ ... }).
import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

// One pool: it keys its Ajv instances by their options, so the two variants never share one.
// (Typed loosely: ajv-compiler's types are a union of its Ajv and JTD modes.)
type Compile = (route: { schema: unknown; method: string; url: string; httpPart?: string }) => unknown;
type AjvServerOption = { customOptions?: Record<string, unknown>; plugins?: unknown[] };
const compilers = AjvCompiler() as unknown as (externalSchemas: unknown, options: AjvServerOption) => Compile;

const buildValidator = (externalSchemas: unknown, ajvServerOption?: AjvServerOption): Compile => {
  const given = { customOptions: {}, plugins: [], ...ajvServerOption };
  // `multipleOf: 0.01` (whole cents) read within float precision: 19.99 / 0.01 is 1998.9999999999998,
  // 9999999999.98 / 0.01 is off by 1e-4. Within a thousandth of a cent counts as whole cents.
  const options = { ...given, customOptions: { multipleOfPrecision: 3, ...given.customOptions } };
  const lenient = compilers(externalSchemas, options);
  const strict = compilers(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
  return (route) => (route.httpPart === 'body' ? strict(route) : lenient(route));
};

export const schemaController: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: { buildValidator: buildValidator as unknown as BuildCompilerFromPool },
};
