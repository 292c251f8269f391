import { types } from 'pg';
import { parseTimestamptz } from '../../src/db/pg-timestamps';

// node-postgres's own parser (postgres-date): what parseTimestamptz must agree with.
const reference = types.getTypeParser(1184, 'text') as (text: string) => Date | number | null;

const agree = (text: string) => expect([text, parseTimestamptz(text)]).toEqual([text, reference(text)]);

describe('parseTimestamptz', () => {
  it('reads what PostgreSQL writes with DateStyle ISO, as node-postgres does', () => {
    for (const text of [
      '2026-12-07 23:53:01+00',
      '2026-12-07 23:53:01.1+00',
      '2026-12-07 23:53:01.12+00',
      '2026-12-07 23:53:01.123+00',
      '2026-12-07 23:53:01.123456+00',
      '2026-12-07 23:53:01.999999+00',
      '2026-12-08 05:23:01.123+05:30',
      '2026-12-07 20:53:01.5-03',
      '2026-12-07 14:23:01-09:30',
      '1883-11-18 12:03:58+00:53:28',
      '1883-11-18 10:56:02-00:56:02',
      '2000-02-29 00:00:00+14',
      '0100-01-01 00:00:00+00',
      '9999-12-31 23:59:59.999+00',
      '1970-01-01 00:00:00+00',
    ]) {
      agree(text);
    }
  });

  it('agrees with node-postgres on random instants in every offset form', () => {
    for (let n = 0; n < 2000; n++) {
      const at = new Date(Date.UTC(1900, 0, 1) + Math.floor(Math.random() * 200 * 365.25 * 86_400_000));
      const offsetMinutes = (Math.floor(Math.random() * 56) - 28) * 30;
      const local = new Date(at.getTime() + offsetMinutes * 60_000).toISOString(); // 2026-12-07T23:53:01.123Z
      const fraction = ['', `.${local.slice(20, 21)}`, `.${local.slice(20, 23)}`, `.${local.slice(20, 23)}456`][n % 4];
      const sign = offsetMinutes < 0 ? '-' : '+';
      const abs = Math.abs(offsetMinutes);
      const hh = String(Math.floor(abs / 60)).padStart(2, '0');
      const offset = abs % 60 ? `${sign}${hh}:${String(abs % 60).padStart(2, '0')}` : `${sign}${hh}`;
      agree(`${local.slice(0, 10)} ${local.slice(11, 19)}${fraction}${offset}`);
    }
  });

  it('leaves to node-postgres what it does not read itself', () => {
    for (const text of ['infinity', '-infinity', '0044-03-15 12:00:00+00 BC', '0099-01-01 00:00:00+00', '12026-01-01 00:00:00+00', '2026-12-07 23:53:01']) {
      expect([text, parseTimestamptz(text)]).toEqual([text, reference(text)]);
    }
  });
});
