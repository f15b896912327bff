/**
 * Group commit. Each caller adds one item and waits for its own result; everything added in the
 * same turn of the event loop, or while earlier batches are still running, goes into one call of
 * `run`. Alone, an item waits for nothing; under load, many callers share one statement and one
 * commit. A failed batch fails every caller in it, so each can answer (and be retried) on its own.
 */
export type BatcherOptions<I, O> = {
  /** Writes a batch; returns one result per item, in order. */
  run: (items: I[]) => Promise<O[]>;
  maxBatchSize: number;
  /** Batches running at once (each holds a database connection, say). */
  maxConcurrent: number;
};

type Waiting<I, O> = { item: I; resolve: (value: O) => void; reject: (error: unknown) => void };

export function createBatcher<I, O>(options: BatcherOptions<I, O>): (item: I) => Promise<O> {
  if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1) throw new RangeError('maxBatchSize must be a whole number ≥ 1');
  if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1) throw new RangeError('maxConcurrent must be a whole number ≥ 1');
  const waiting: Waiting<I, O>[] = [];
  let running = 0;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || running >= options.maxConcurrent || waiting.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  }

  function flush(): void {
    scheduled = false;
    while (running < options.maxConcurrent && waiting.length > 0) {
      const batch = waiting.splice(0, options.maxBatchSize);
      running += 1;
      void runBatch(batch).finally(() => {
        running -= 1;
        schedule();
      });
    }
  }

  async function runBatch(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await options.run(batch.map((entry) => entry.item));
      if (results.length !== batch.length) throw new Error(`A batch of ${batch.length} returned ${results.length} results`);
      batch.forEach((entry, index) => entry.resolve(results[index] as O));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}
