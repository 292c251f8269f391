import { Writable } from 'node:stream';

/** A pino destination that keeps the parsed lines, for tests that assert what was logged. */
export function collectLines(lines: Array<Record<string, unknown>>): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
}
