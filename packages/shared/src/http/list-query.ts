import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';
import { unprocessable } from '../errors';

// The query parameters every list endpoint shares (created_after / created_before, sort), in one
// place so orders, payments and refunds accept, document and refuse them alike.

/** An ISO 8601 date (its midnight UTC) or date-time, as a query parameter. */
export const isoDateQuery = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.String({ format: 'date' })], {
    description: `${description} (ISO 8601: 2026-12-01 is its midnight UTC, or a full 2026-12-01T10:00:00Z)`,
  });

/**
 * A date query parameter (already format-checked by its schema) as an instant; one the schema lets
 * through but no Date can hold is 422 INVALID_DATE, never a 500.
 */
export function instantOf(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw unprocessable('INVALID_DATE', `${name} is not a date: ${value}`, { param: name, value });
  return at;
}

/** `field` sorts ascending, `-field` descending. */
export type SortOf<F extends string> = F | `-${F}`;

/** The `sort` query parameter over these fields: each ascending and, with `-`, descending. */
export function sortQuery<F extends string>(fields: readonly F[], defaultSort: SortOf<F>): TUnion<TLiteral<SortOf<F>>[]> {
  const values = fields.flatMap((f) => [f, `-${f}`] as SortOf<F>[]);
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    { default: defaultSort, description: `${defaultSort} unless given; \`-\` sorts descending` },
  );
}

export function sortKeyOf<F extends string>(sort: SortOf<F>): { field: F; descending: boolean } {
  const descending = sort.startsWith('-');
  return { field: (descending ? sort.slice(1) : sort) as F, descending };
}
