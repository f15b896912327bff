/**
 * Time-driven work (renewals, invoice finalization, payment retries, expiries, payouts…).
 * Resource modules register task sources; `runDue` repeatedly runs the earliest due task so
 * everything happens — and emits its events — in time order. Test clocks run it up to their
 * target time; a one-second ticker runs it in real time for objects on no clock.
 */
import type { Engine } from './engine.ts';

export type Task = {
  /** Unix time the work is due. */
  at: number;
  /** Unique label of this piece of work (a task never runs twice in one pass). */
  label: string;
  run: () => void;
};

export type TaskSource = (engine: Engine, clock: string | null) => Task[];

const sources: TaskSource[] = [];

export function registerTasks(source: TaskSource): void {
  sources.push(source);
}

/** Is `id` on `clock` (null = real time)? */
export function onClock(engine: Engine, id: string, clock: string | null): boolean {
  return engine.store.clockOf(id) === clock;
}

/** Runs everything due up to `upTo` on `clock` in time order. Returns how many tasks ran. */
export function runDue(engine: Engine, clock: string | null, upTo: number): number {
  const done = new Set<string>();
  let count = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    let next: Task | undefined;
    for (const source of sources) {
      for (const task of source(engine, clock)) {
        if (task.at > upTo || done.has(task.label)) continue;
        if (!next || task.at < next.at) next = task;
      }
    }
    if (!next) break;
    done.add(next.label);
    if (clock) {
      const current = engine.store.internal.clockProcessing[clock] ?? 0;
      engine.store.internal.clockProcessing[clock] = Math.max(current, next.at);
    }
    const task = next;
    try {
      engine.withContext({}, () => task.run());
    } catch (err) {
      engine.log(`stripe-sandbox: task ${task.label} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    count++;
  }
  if (count > 0) engine.changed();
  return count;
}

export class Ticker {
  private timer: NodeJS.Timeout | null = null;
  private readonly engine: Engine;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  start(intervalMs = 1000): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  tick(): void {
    runDue(this.engine, null, this.engine.now(null));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
