import { conflict, internal, invalid, notFound, unavailable } from '../../src/errors';
import { canParkedTransition, classifyHandlerFailure, DEFAULT_PARK_POLICY, describeFailure, shouldPark } from '../../src/messaging/parked-messages';

describe('classifyHandlerFailure', () => {
  it('an infrastructure failure or a lost race is transient', () => {
    expect(classifyHandlerFailure(unavailable('LOCK_UNAVAILABLE', 'redis'))).toBe('transient');
    expect(classifyHandlerFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('transient');
    expect(classifyHandlerFailure(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe('transient');
    expect(classifyHandlerFailure(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe('transient');
    expect(classifyHandlerFailure(Object.assign(new Error('write conflict'), { code: 'P2034' }))).toBe('transient');
    expect(classifyHandlerFailure(new Error('wrapped', { cause: Object.assign(new Error('could not serialize'), { code: '40001' }) }))).toBe('transient');
  });

  it('a domain error is deterministic; a bug or an internal error is unknown', () => {
    expect(classifyHandlerFailure(invalid('ORDER_ID_REQUIRED', 'no order id'))).toBe('deterministic');
    expect(classifyHandlerFailure(notFound('ORDER_NOT_FOUND', 'x'))).toBe('deterministic');
    expect(classifyHandlerFailure(conflict('STATE', 'x'))).toBe('deterministic');
    expect(classifyHandlerFailure(internal('UPSTREAM_INTERNAL', 'x'))).toBe('unknown');
    expect(classifyHandlerFailure(new TypeError('x is undefined'))).toBe('unknown');
    expect(classifyHandlerFailure(Object.assign(new Error('unique'), { code: '23505' }))).toBe('unknown');
  });
});

describe('shouldPark', () => {
  const policy = { ...DEFAULT_PARK_POLICY, maxAttempts: 5, deterministicMaxAttempts: 2 };
  it('never parks a transient failure, however long it lasts', () => {
    expect(shouldPark('transient', 10_000, policy)).toBe(false);
  });
  it('parks a domain error after its short budget and anything else after KAFKA_MAX_ATTEMPTS', () => {
    expect([1, 2].map((n) => shouldPark('deterministic', n, policy))).toEqual([false, true]);
    expect([1, 4, 5].map((n) => shouldPark('unknown', n, policy))).toEqual([false, false, true]);
    // The short budget never exceeds the full one.
    expect(shouldPark('deterministic', 1, { maxAttempts: 1, deterministicMaxAttempts: 2 })).toBe(true);
  });
});

describe('parked message records', () => {
  it('keep the code and kind of a domain error, and only move from parked, once', () => {
    expect(describeFailure(invalid('BAD', 'bad line'), 'deterministic')).toEqual({
      class: 'deterministic',
      name: 'DomainError',
      message: 'bad line',
      kind: 'invalid',
      code: 'BAD',
    });
    expect(canParkedTransition('parked', 'retried')).toBe(true);
    expect(canParkedTransition('parked', 'discarded')).toBe(true);
    expect(canParkedTransition('retried', 'discarded')).toBe(false);
    expect(canParkedTransition('discarded', 'retried')).toBe(false);
  });
});
