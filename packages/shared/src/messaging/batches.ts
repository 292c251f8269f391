// How a batch handler (KafkaBus's handleBatch) cuts the messages it was handed: those that can
// share one transaction (or one engine batch) form a run, in order; a run ends before a second
// message with a key already in it (that message must see what the first one wrote), and before a
// message that must go alone (it keeps its place between runs).

export type BatchPart<T> = { run: T[] } | { alone: T };

/**
 * `keyOf` names what a message would lock (its order, say), or undefined when it must be handled
 * alone. The parts come back in the messages' order.
 */
export function runsOfDistinctKeys<T>(items: readonly T[], keyOf: (item: T) => string | undefined): Array<BatchPart<T>> {
  const parts: Array<BatchPart<T>> = [];
  let run: T[] = [];
  const keys = new Set<string>();
  const endRun = () => {
    if (run.length > 0) parts.push({ run });
    run = [];
    keys.clear();
  };
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) {
      endRun();
      parts.push({ alone: item });
      continue;
    }
    if (keys.has(key)) endRun();
    run.push(item);
    keys.add(key);
  }
  endRun();
  return parts;
}
