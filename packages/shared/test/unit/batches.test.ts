import { runsOfDistinctKeys } from '../../src/messaging/batches';

// What each message is: a key (it may share a run) or '-' (it goes alone).
const cut = (messages: string[]) =>
  runsOfDistinctKeys(
    messages.map((m, n) => ({ m, n })),
    ({ m }) => (m === '-' ? undefined : m),
  ).map((part) => ('run' in part ? part.run.map((x) => `${x.m}${x.n}`) : `alone ${part.alone.n}`));

describe('runsOfDistinctKeys', () => {
  it('keeps messages with different keys in one run', () => {
    expect(cut(['a', 'b', 'c'])).toEqual([['a0', 'b1', 'c2']]);
  });

  it('ends a run before a key it already holds', () => {
    expect(cut(['a', 'b', 'a', 'c', 'b'])).toEqual([
      ['a0', 'b1'],
      ['a2', 'c3', 'b4'],
    ]);
  });

  it('puts a message without a key alone, in its place between runs', () => {
    expect(cut(['a', '-', 'b', 'c', '-', '-'])).toEqual([['a0'], 'alone 1', ['b2', 'c3'], 'alone 4', 'alone 5']);
  });

  it('gives nothing for nothing', () => {
    expect(cut([])).toEqual([]);
  });
});
