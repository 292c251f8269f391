// timestamptz values as createSql's pools hand them over: read by position instead of by
// node-postgres's own parser (postgres-date, three regular expressions: ~0.55 µs a value against
// ~0.2). A cart read parses two per line, the hottest read of the shop (bench/README, "Cart").
import { types, type CustomTypesConfig } from 'pg';

const TIMESTAMPTZ_OID = 1184;
const MINUS = 45;
const PLUS = 43;
const COLON = 58;
const DOT = 46;
const SPACE = 32;

const slowParse = types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

/** The decimal number in text[from, to), or NaN for anything but digits. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return value;
}

/**
 * A timestamptz as PostgreSQL writes it with DateStyle ISO, whatever the session's time zone:
 * `2026-12-07 23:53:01.123456+05:30` (the fraction and the offset's minutes and seconds only when
 * not zero). The fraction is cut to milliseconds, as a Date holds them and node-postgres's own
 * parser does. Anything else (infinity, BC, a year before 100 or after 9999, another DateStyle)
 * goes to node-postgres's own parser.
 */
export function parseTimestamptz(text: string): Date {
  const n = text.length;
  if (n < 22 || text.charCodeAt(4) !== MINUS || text.charCodeAt(7) !== MINUS || text.charCodeAt(10) !== SPACE) return slowParse(text);
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return slowParse(text);
  const year = digits(text, 0, 4);
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === DOT) {
    const start = ++i;
    while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start) return slowParse(text);
    ms = digits(text, start, Math.min(i, start + 3)) * 10 ** Math.max(0, 3 - (i - start));
  }
  const sign = text.charCodeAt(i);
  if ((sign !== PLUS && sign !== MINUS) || year < 100) return slowParse(text);
  // ±HH, ±HH:MM or ±HH:MM:SS, and nothing after it.
  const offsetEnd = i + 3 + (n - i - 3 >= 3 && text.charCodeAt(i + 3) === COLON ? (n - i - 6 >= 3 && text.charCodeAt(i + 6) === COLON ? 6 : 3) : 0);
  if (offsetEnd !== n) return slowParse(text);
  const offsetSeconds =
    digits(text, i + 1, i + 3) * 3600 + (offsetEnd > i + 3 ? digits(text, i + 4, i + 6) * 60 : 0) + (offsetEnd > i + 6 ? digits(text, i + 7, i + 9) : 0);
  const utc = Date.UTC(year, digits(text, 5, 7) - 1, digits(text, 8, 10), digits(text, 11, 13), digits(text, 14, 16), digits(text, 17, 19), ms);
  const at = utc - (sign === MINUS ? -1 : 1) * offsetSeconds * 1000;
  return Number.isNaN(at) ? slowParse(text) : new Date(at);
}

/** node-postgres's type parsers, with timestamptz read by parseTimestamptz. */
const getTypeParser = (oid: number, format?: 'text' | 'binary'): unknown =>
  oid === TIMESTAMPTZ_OID && format !== 'binary' ? parseTimestamptz : (types.getTypeParser(oid, format ?? 'text') as unknown);

export const SQL_TYPES: CustomTypesConfig = { getTypeParser: getTypeParser as CustomTypesConfig['getTypeParser'] };
