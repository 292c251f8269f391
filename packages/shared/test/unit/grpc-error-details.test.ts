import { fromGrpcError, notFound, toGrpcError } from '../../src/errors';

describe('toGrpcError details', () => {
  it('carries details holding any unicode (what callers typed) as printable ASCII metadata, and back unchanged', () => {
    const details = { order_id: '\u{F2750}日本🦄\u007f\u0000ß', nested: { list: ['é', '\ud800'] } };
    const grpcError = toGrpcError(notFound('ORDER_NOT_FOUND', 'no such order', details));
    const raw = grpcError.metadata.get('error-details')[0] as string;
    expect(raw).toMatch(/^[ -~]*$/);
    const back = fromGrpcError(grpcError);
    expect(back.code).toBe('ORDER_NOT_FOUND');
    expect(back.details).toEqual(JSON.parse(JSON.stringify(details)));
  });
});
