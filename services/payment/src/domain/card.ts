// Card numbers reach this service only to be handed to a gateway; the last four digits are
// the only part ever stored or logged.

export function cardLast4(cardNumber: string | undefined): string | null {
  if (!cardNumber) return null;
  const digits = cardNumber.replace(/\D/g, '');
  return digits.length >= 4 ? digits.slice(-4) : null;
}

/** Strips spaces and dashes people type ("4242 4242 4242 4242"). */
/**
 * A card number as a client may type it (REST schema): 12 to 19 digits, one space or dash allowed
 * between two digits; normalizeCardNumber leaves the digits alone.
 */
export const CARD_NUMBER_PATTERN = '^(?:[0-9][ -]?){11,18}[0-9]$';

export function normalizeCardNumber(cardNumber: string): string {
  return cardNumber.replace(/[\s-]/g, '');
}

/** pino redaction paths: wherever a card number could appear in a logged object. */
export const CARD_REDACT_PATHS = [
  'card_number',
  '*.card_number',
  '*.*.card_number',
  'cardNumber',
  '*.cardNumber',
  '*.*.cardNumber',
  'req.body.card_number',
  'body.card_number',
  'card.number',
  '*.card.number',
  'cvc',
  '*.cvc',
];
