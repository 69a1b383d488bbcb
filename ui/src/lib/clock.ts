/** Time as the UI sees it, injected so tests move it by hand instead of sleeping. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `tick` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, tick: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(intervalMs, tick) {
    const handle = setInterval(tick, intervalMs);
    return () => clearInterval(handle);
  },
};

interface Timer {
  intervalMs: number;
  dueAtMs: number;
  tick: () => void;
}

/** A clock that only moves when `advance` is called; timers fire in due order. */
export class ManualClock implements Clock {
  private nowMs: number;
  private readonly timers = new Set<Timer>();

  constructor(startMs = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  every(intervalMs: number, tick: () => void): () => void {
    if (intervalMs <= 0) throw new RangeError('intervalMs must be positive');
    const timer: Timer = { intervalMs, dueAtMs: this.nowMs + intervalMs, tick };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers) {
        if (timer.dueAtMs <= target && (!next || timer.dueAtMs < next.dueAtMs)) next = timer;
      }
      if (!next) break;
      this.nowMs = next.dueAtMs;
      next.dueAtMs += next.intervalMs;
      next.tick();
    }
    this.nowMs = target;
  }
}
