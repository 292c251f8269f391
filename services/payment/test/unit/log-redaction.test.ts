import { Writable } from 'node:stream';
import pino from 'pino';

// The service logger is the shared one plus a redacting child; here the shared logger writes
// to memory so the test can read what would have been logged.
const lines: string[] = [];
jest.mock('@sudamall/shared', () => {
  const actual = jest.requireActual('@sudamall/shared');
  return {
    ...actual,
    createLogger: () =>
      pino(
        { level: 'info' },
        new Writable({
          write(chunk, _enc, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      ),
  };
});

import { createPaymentLogger } from '../../src/infra/logger';

describe('payment logger', () => {
  it('never writes a card number or CVC, wherever it sits in a logged object', () => {
    const logger = createPaymentLogger('info');
    logger.info({ card_number: '4242424242424242', cvc: '123' }, 'top level');
    logger.info({ body: { card_number: '4000000000000002' } }, 'request body');
    logger.info({ req: { body: { card_number: '4000000000009995', payment_id: 'p1' } } }, 'nested');
    logger.info({ input: { cardNumber: '4000000000000069' } }, 'camelCase');
    const out = lines.join('');
    for (const number of ['4242424242424242', '4000000000000002', '4000000000009995', '4000000000000069']) {
      expect(out).not.toContain(number);
    }
    expect(out).not.toContain('"123"');
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('"payment_id":"p1"');
  });
});
