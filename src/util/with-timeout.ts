/** What withTimeout rejects with when the timer wins (tell a timeout from the operation's own error). */
export class TimeoutError extends Error {}

/**
 * Races p against a timer. A result that arrives after the timer goes to onLate (to be closed:
 * a stream, a session), never to the caller; a late rejection is swallowed.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string, onLate?: (v: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new TimeoutError(`${what}: no answer within ${ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`}`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        if (done) onLate?.(v);
        else resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!done) reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
