// CheckAvailability's rule, no servers: what a reservation would say, without reserving.
import { money } from '@sudamall/shared';
import { lineAvailability, type ProductRecord } from '../../src/domain/product';

const product = (over: Partial<ProductRecord> = {}): ProductRecord => ({
  id: 'p1',
  productName: 'Tee',
  productDescription: '',
  price: money('10.00'),
  salePrice: null,
  images: [],
  color: '',
  brand: '',
  category: '',
  storeId: 's1',
  ownerId: 'u1',
  hasSizes: true,
  deletedAt: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  stock: [{ id: 'r1', size: 'M', available: 3, reserved: 0, sold: 0 }],
  ...over,
});

describe('line availability', () => {
  it('available within stock; short, unknown, deleted or malformed lines say why', () => {
    expect(lineAvailability(product(), 'M', 3)).toEqual({ available: true, availableQuantity: 3, code: '' });
    expect(lineAvailability(product(), 'M', 4)).toEqual({ available: false, availableQuantity: 3, code: 'INSUFFICIENT_STOCK' });
    expect(lineAvailability(product(), 'M', 0)).toEqual({ available: false, availableQuantity: 3, code: 'INVALID_QUANTITY' });
    expect(lineAvailability(product(), 'L', 1)).toMatchObject({ available: false, code: 'SIZE_NOT_FOUND' });
    expect(lineAvailability(product(), '', 1)).toMatchObject({ available: false, code: 'SIZE_REQUIRED' });
    expect(lineAvailability(product({ deletedAt: new Date(0) }), 'M', 1)).toMatchObject({ available: false, code: 'PRODUCT_UNAVAILABLE' });
    expect(lineAvailability(undefined, 'M', 1)).toEqual({ available: false, availableQuantity: 0, code: 'PRODUCT_NOT_FOUND' });
  });
});
