import { unprocessable } from '@sudamall/shared';

/** Where a checkout ships: a typed address, or one of the buyer's saved addresses (order resolves it). */
export type ShipTo = { shippingAddress: string; addressId?: undefined } | { addressId: string; shippingAddress?: undefined };

/** Exactly one of the two, or 422 SHIPPING_ADDRESS_OR_ADDRESS_ID (the same code order answers). */
export function shipToOf(cmd: { shippingAddress?: string; addressId?: string }): ShipTo {
  const text = cmd.shippingAddress?.trim() ? cmd.shippingAddress : undefined;
  const id = cmd.addressId?.trim() ? cmd.addressId : undefined;
  if (text !== undefined && id === undefined) return { shippingAddress: text };
  if (id !== undefined && text === undefined) return { addressId: id };
  throw unprocessable('SHIPPING_ADDRESS_OR_ADDRESS_ID', 'give exactly one of shipping_address (text) or address_id (a saved address)');
}

/**
 * The shipping part of a checkout's fingerprint: a typed address fingerprints as it always has
 * (attempts recorded before address_id existed keep matching their retries).
 */
export function shipToFingerprint(s: ShipTo): Record<string, string> {
  return s.addressId !== undefined ? { address_id: s.addressId } : { shipping_address: s.shippingAddress };
}
