/**
 * Time-driven work (renewals, invoice finalization, payment retries, expiries, payouts…).
 * Resource modules register task sources; `runDue` repeatedly runs the earliest due task so
 * everything happens — and emits its events — in time order. Test clocks run it up to their
 * target time; a one-second ticker runs it in real time for objects on no clock.
 */
import type { Engine } from './engine.ts';
import type { Kind, Kinds } from './types.ts';

export type Task = {
  /** Unix time the work is due. */
  at: number;
  /** Unique label of this piece of work (a task never runs twice in one pass). */
  label: string;
  run: () => void;
};

/** The time-driven work one object of `kind` has pending, derived from its current state. */
export type TaskSource<K extends Kind = Kind> = { kind: K; tasks: (engine: Engine, obj: Kinds[K]) => Task[] };

const sources: TaskSource[] = [];

export function registerTasks<K extends Kind>(kind: K, tasks: (engine: Engine, obj: Kinds[K]) => Task[]): void {
  sources.push({ kind, tasks } as unknown as TaskSource);
}

/** Is `id` on `clock` (null = real time)? */
export function onClock(engine: Engine, id: string, clock: string | null): boolean {
  return engine.store.clockOf(id) === clock;
}

type Found = { task: Task; source: TaskSource; id: string };

/**
 * Runs everything due up to `upTo` on `clock` in time order. Returns how many tasks ran.
 *
 * Each pass collects every object's pending work and runs all of it due at the earliest time,
 * in collection order; each task is derived again from its object's current state just before it
 * runs, so work that an earlier task of the pass made moot is skipped, as if the pass had been
 * collected anew. (Collecting anew after every task made a wave of n renewals cost n² steps.)
 */
export function runDue(engine: Engine, clock: string | null, upTo: number): number {
  const done = new Set<string>();
  let count = 0;
  for (let pass = 0; pass < 100_000; pass++) {
    let at = Infinity;
    let due: Found[] = [];
    for (const source of sources) {
      for (const obj of engine.store.all(source.kind)) {
        const id = (obj as { id: string }).id;
        if (engine.store.clockOf(id) !== clock) continue;
        for (const task of source.tasks(engine, obj)) {
          if (task.at > upTo || task.at > at || done.has(task.label)) continue;
          if (task.at < at) {
            at = task.at;
            due = [];
          }
          due.push({ task, source, id });
        }
      }
    }
    if (due.length === 0) break;
    if (clock) {
      const current = engine.store.internal.clockProcessing[clock] ?? 0;
      engine.store.internal.clockProcessing[clock] = Math.max(current, at);
    }
    for (const { task, source, id } of due) {
      if (done.has(task.label)) continue;
      const obj = engine.store.get(source.kind, id);
      const current = obj ? source.tasks(engine, obj).find((t) => t.label === task.label && t.at === at) : undefined;
      if (!current) continue;
      done.add(current.label);
      try {
        engine.withContext({}, () => current.run());
      } catch (err) {
        engine.log(`stripe-sandbox: task ${current.label} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      count++;
    }
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
