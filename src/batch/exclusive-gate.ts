// Shared and exclusive turns for the jobs of a batch: quantizations share the
// machine (any number at once, up to --jobs), a benchmark has it alone (its
// latency would otherwise measure the other jobs). An exclusive turn waits
// for the shared ones running to end and, while it waits, no new shared turn
// starts, so a benchmark is never starved by a stream of quantizations.
export class ExclusiveGate {
  private sharedHolders = 0;
  private exclusiveHeld = false;
  private readonly exclusiveQueue: Array<() => void> = [];
  private readonly sharedQueue: Array<() => void> = [];

  async acquireShared(): Promise<void> {
    if (!this.exclusiveHeld && this.exclusiveQueue.length === 0) {
      this.sharedHolders++;
      return;
    }
    await new Promise<void>((resolve) => this.sharedQueue.push(resolve));
  }

  releaseShared(): void {
    this.sharedHolders--;
    this.dispatch();
  }

  async acquireExclusive(): Promise<void> {
    if (!this.exclusiveHeld && this.sharedHolders === 0 && this.exclusiveQueue.length === 0) {
      this.exclusiveHeld = true;
      return;
    }
    await new Promise<void>((resolve) => this.exclusiveQueue.push(resolve));
  }

  releaseExclusive(): void {
    this.exclusiveHeld = false;
    this.dispatch();
  }

  /** Runs fn in a shared turn. */
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquireShared();
    try {
      return await fn();
    } finally {
      this.releaseShared();
    }
  }

  /**
   * Runs fn in an exclusive turn, from inside a shared one (the caller's
   * shared turn is handed back while it waits, and taken again after).
   */
  async exclusiveFromShared<T>(fn: () => Promise<T>): Promise<T> {
    this.releaseShared();
    await this.acquireExclusive();
    try {
      return await fn();
    } finally {
      this.releaseExclusive();
      await this.acquireShared();
    }
  }

  private dispatch(): void {
    if (this.exclusiveHeld) return;
    if (this.exclusiveQueue.length) {
      if (this.sharedHolders === 0) {
        this.exclusiveHeld = true;
        this.exclusiveQueue.shift()!();
      }
      return;
    }
    while (this.sharedQueue.length) {
      this.sharedHolders++;
      this.sharedQueue.shift()!();
    }
  }
}
