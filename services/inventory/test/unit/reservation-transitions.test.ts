// The reservation status table: every status write asks it (the bulk statements through the
// from-statuses it gives them).
import { DomainError } from '@sudamall/shared';
import { canTransition, statusesThatCan, transition } from '../../src/domain/reservation';

describe('reservation status table', () => {
  it('confirm, release and expiry move reserved lines only; restock moves reserved and sold ones', () => {
    expect(statusesThatCan('confirm')).toEqual(['reserved']);
    expect(statusesThatCan('release')).toEqual(['reserved']);
    expect(statusesThatCan('expire')).toEqual(['reserved']);
    expect(statusesThatCan('restock')).toEqual(['reserved', 'confirmed']);
    expect(transition('reserved', 'confirm')).toBe('confirmed');
    expect(transition('confirmed', 'restock')).toBe('released');
    expect(transition('reserved', 'expire')).toBe('expired');
  });

  it('released and expired are final; a move the table lacks throws 409 INVALID_RESERVATION_TRANSITION', () => {
    for (const move of ['confirm', 'release', 'expire', 'restock'] as const) {
      expect(canTransition('released', move)).toBe(false);
      expect(canTransition('expired', move)).toBe(false);
    }
    expect(() => transition('confirmed', 'release')).toThrow(DomainError);
    expect(() => transition('released', 'confirm')).toThrow(expect.objectContaining({ kind: 'conflict', code: 'INVALID_RESERVATION_TRANSITION' }));
  });
});
