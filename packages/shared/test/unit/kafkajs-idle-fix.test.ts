import { createRequire } from 'node:module';
import { applyKafkajsIdleFix } from '../../src/messaging/kafkajs-idle-fix';

const requireHere = createRequire(__filename);

interface Queue {
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  throttledUntil: number;
  pending: unknown[];
  checkPendingRequests: () => void;
  scheduleCheckPendingRequests(): void;
}

function queue(pending: unknown[], throttledUntil = -1): Queue {
  const RequestQueue = requireHere('kafkajs/src/network/requestQueue') as { prototype: Queue };
  const q = Object.create(RequestQueue.prototype) as Queue;
  Object.assign(q, { throttleCheckTimeoutId: null, throttledUntil, pending, checkPendingRequests: jest.fn() });
  return q;
}

describe('the kafkajs idle-loop fix', () => {
  // Fails when kafkajs is upgraded: read its request queue again before carrying the fix over.
  it('applies to the installed kafkajs', () => {
    expect(applyKafkajsIdleFix()).toBe(true);
  });

  it('arms no timer when nothing is queued and nothing throttled (kafkajs re-armed a 1 ms one forever)', () => {
    applyKafkajsIdleFix();
    const q = queue([]);
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks queued requests again after 10 ms, and a throttle when it ends', () => {
    jest.useFakeTimers();
    try {
      applyKafkajsIdleFix();
      const waiting = queue([{}]);
      waiting.scheduleCheckPendingRequests();
      expect(waiting.throttleCheckTimeoutId).not.toBeNull();
      jest.advanceTimersByTime(9);
      expect(waiting.checkPendingRequests).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(waiting.checkPendingRequests).toHaveBeenCalledTimes(1);

      const throttled = queue([], Date.now() + 500);
      throttled.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(499);
      expect(throttled.checkPendingRequests).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
