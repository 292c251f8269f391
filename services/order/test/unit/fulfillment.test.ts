import { errorOf } from '../fixtures/domain-error';
import { transitionFulfillment, fulfillmentsToMove, orderStatusFromFulfillments, type FulfillmentState } from '../../src/domain/fulfillment';

describe('fulfilment transitions', () => {
  it('lets sellers and admins ship a processing part and deliver a shipped one; the rest is the system’s or refused', () => {
    expect(() => transitionFulfillment('s', 'processing', 'shipped', 'seller')).not.toThrow();
    expect(() => transitionFulfillment('s', 'shipped', 'delivered', 'admin')).not.toThrow();
    expect(() => transitionFulfillment('s', 'pending', 'processing', 'system')).not.toThrow();
    expect(errorOf(() => transitionFulfillment('s', 'pending', 'processing', 'seller'))).toMatchObject({
      kind: 'forbidden',
      code: 'STATUS_CHANGE_FORBIDDEN',
    });
    const skipped = errorOf(() => transitionFulfillment('s', 'processing', 'delivered', 'seller'));
    expect(skipped).toMatchObject({
      kind: 'conflict',
      code: 'INVALID_STATUS_TRANSITION',
      details: { store_id: 's', from: 'processing', to: 'delivered', allowed: ['shipped', 'cancelled'] },
    });
    expect(errorOf(() => transitionFulfillment('s', 'pending', 'shipped', 'seller')).code).toBe('INVALID_STATUS_TRANSITION');
    expect(errorOf(() => transitionFulfillment('s', 'delivered', 'shipped', 'admin')).code).toBe('INVALID_STATUS_TRANSITION');
  });
});

describe('which fulfilments a status request moves', () => {
  const parts: FulfillmentState[] = [
    { storeId: 'a', status: 'processing' },
    { storeId: 'b', status: 'shipped' },
    { storeId: 'c', status: 'cancelled' },
  ];

  it("a seller moves only their own store's part", () => {
    expect(fulfillmentsToMove(parts, 'shipped', { role: 'seller', storeId: 'a' })).toEqual([parts[0]]);
    expect(fulfillmentsToMove(parts, 'delivered', { role: 'seller', storeId: 'b' })).toEqual([parts[1]]);
    expect(errorOf(() => fulfillmentsToMove(parts, 'delivered', { role: 'seller', storeId: 'a' })).code).toBe('INVALID_STATUS_TRANSITION');
    expect(errorOf(() => fulfillmentsToMove(parts, 'shipped', { role: 'seller', storeId: 'z' })).kind).toBe('forbidden');
  });

  it('an admin moves every part that can make the move, and is refused when none can', () => {
    expect(fulfillmentsToMove(parts, 'shipped', { role: 'admin' })).toEqual([parts[0]]);
    expect(fulfillmentsToMove(parts, 'delivered', { role: 'admin' })).toEqual([parts[1]]);
    const none = errorOf(() => fulfillmentsToMove([{ storeId: 'a', status: 'pending' }], 'shipped', { role: 'admin' }));
    expect(none).toMatchObject({ code: 'INVALID_STATUS_TRANSITION', details: { store_id: 'a', from: 'pending' } });
  });
});

describe("the order's status follows its fulfilments", () => {
  it.each([
    [['processing', 'processing'], 'processing'],
    [['shipped', 'processing'], 'processing'],
    [['shipped', 'shipped'], 'shipped'],
    [['delivered', 'shipped'], 'shipped'],
    [['delivered', 'delivered'], 'delivered'],
    [['delivered', 'cancelled'], 'delivered'],
    [['shipped', 'cancelled'], 'shipped'],
    [['cancelled', 'cancelled'], 'cancelled'],
    [['pending', 'pending'], null],
    [[], null],
  ] as const)('%j → %s', (statuses, expected) => {
    expect(orderStatusFromFulfillments(statuses)).toBe(expected);
  });
});
