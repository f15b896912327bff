import { expect, test } from 'vitest';
import { createBatcher } from './batcher.ts';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('items added in one turn share a batch, and each caller gets its own result', async () => {
  const batches: number[][] = [];
  const add = createBatcher<number, number>({
    maxBatchSize: 100,
    maxConcurrent: 1,
    run: async (items) => {
      batches.push(items);
      return items.map((item) => item * 10);
    },
  });
  const results = await Promise.all([1, 2, 3].map(add));
  expect(results).toEqual([10, 20, 30]);
  expect(batches).toEqual([[1, 2, 3]]);
});

test('items that arrive while a batch runs wait for it and then go together', async () => {
  const batches: number[][] = [];
  const gates: ReturnType<typeof deferred<void>>[] = [];
  const add = createBatcher<number, number>({
    maxBatchSize: 100,
    maxConcurrent: 1,
    run: async (items) => {
      batches.push(items);
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return items;
    },
  });
  const first = add(1);
  await new Promise((resolve) => setImmediate(resolve));
  const later = [add(2), add(3), add(4)];
  await new Promise((resolve) => setImmediate(resolve));
  expect(batches).toEqual([[1]]); // still running: the others wait
  gates[0]?.resolve();
  await first;
  while (gates.length < 2) await new Promise((resolve) => setImmediate(resolve));
  gates[1]?.resolve();
  expect(await Promise.all(later)).toEqual([2, 3, 4]);
  expect(batches).toEqual([[1], [2, 3, 4]]);
});

test('batches never exceed maxBatchSize, and at most maxConcurrent run at once', async () => {
  let running = 0;
  let most = 0;
  const sizes: number[] = [];
  const add = createBatcher<number, number>({
    maxBatchSize: 3,
    maxConcurrent: 2,
    run: async (items) => {
      running += 1;
      most = Math.max(most, running);
      sizes.push(items.length);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return items;
    },
  });
  const items = Array.from({ length: 20 }, (_, index) => index);
  expect(await Promise.all(items.map(add))).toEqual(items);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
  expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(20);
  expect(most).toBe(2);
});

test('a failed batch fails each of its callers, and the next batch runs', async () => {
  let calls = 0;
  const add = createBatcher<string, string>({
    maxBatchSize: 10,
    maxConcurrent: 1,
    run: async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('connection lost');
      return items.map((item) => item.toUpperCase());
    },
  });
  const failed = await Promise.allSettled([add('a'), add('b')]);
  expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  expect(await add('c')).toBe('C');
});

test('a batch that returns the wrong number of results fails its callers instead of mismatching them', async () => {
  const add = createBatcher<number, number>({ maxBatchSize: 10, maxConcurrent: 1, run: async (items) => items.slice(1) });
  await expect(Promise.all([add(1), add(2)])).rejects.toThrow('A batch of 2 returned 1 results');
});

test('nonsense limits are refused', () => {
  expect(() => createBatcher({ maxBatchSize: 0, maxConcurrent: 1, run: async () => [] })).toThrow(RangeError);
  expect(() => createBatcher({ maxBatchSize: 1, maxConcurrent: 1.5, run: async () => [] })).toThrow(RangeError);
});
