/**
 * A pause that news can cut short, without losing news that comes while nobody waits: a wake
 * during a monitor cycle (a lost connection to a mysqld, a control command) makes the next pause
 * end at once, instead of being dropped and costing up to a whole check period.
 */
export class Waker {
  private woken = false;
  private end: (() => void) | null = null;

  wake(): void {
    this.woken = true;
    this.end?.();
  }

  /** Waits `ms`, less if woken meanwhile, not at all if woken since the last pause ended. */
  pause(ms: number): Promise<void> {
    if (this.woken || ms <= 0) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.end?.(), ms);
      this.end = () => {
        clearTimeout(timer);
        this.end = null;
        this.woken = false;
        resolve();
      };
    });
  }
}
