// Names for server-side prepared statements, so PostgreSQL parses and plans each of a service's
// statements once per connection instead of on every call.
//
// Why: node-postgres (and Prisma's pg adapter on top of it) sends every parameterised query as an
// UNNAMED statement, which PostgreSQL parses, analyses and plans again each time. For the
// statements these services run (joins, json_agg, CTEs of several writes) that is most of the
// database's work: measured with pgbench on this machine, the cart read statement does
// 4,600/s unnamed vs 22,000/s prepared (8 clients). A named statement is parsed once per
// connection; later calls send only Bind/Execute.
//
// The name is derived from the text, so one name always means one text (node-postgres refuses a
// name reused for another text). What is left unnamed, so the set of statements a connection
// holds stays small and bounded:
// - texts with more than MAX_PARAMS parameters (IN lists and multi-row inserts, whose text varies
//   with the number of rows: each count would be another statement held by every connection);
// - texts with a `;` (several statements cannot be prepared as one);
// - anything once MAX_NAMES distinct texts have been named in this process.
import { createHash } from 'node:crypto';

const MAX_PARAMS = 32;
const MAX_NAMES = 256;
const names = new Map<string, string>();

/** The prepared-statement name for `text`, or undefined to send it unnamed (see above). */
export function preparedStatementName(text: string, paramCount: number): string | undefined {
  const known = names.get(text);
  if (known !== undefined) return known;
  if (paramCount > MAX_PARAMS || text.includes(';') || names.size >= MAX_NAMES) return undefined;
  const name = `s_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  names.set(text, name);
  return name;
}

/**
 * Prisma's pg adapter option (`new PrismaPg(config, { statementNameGenerator: prismaStatementNames })`).
 * Its declared type returns a string, but the adapter hands the result to node-postgres as the
 * query's `name` as it is, and an undefined name is simply an unnamed statement.
 */
export const prismaStatementNames = ((query: { sql: string; args: readonly unknown[] }) => preparedStatementName(query.sql, query.args.length)) as (query: {
  sql: string;
  args: unknown[];
}) => string;
