import fc from 'fast-check';
import { expect, test } from 'vitest';
import { Heap } from './heap.ts';

test('pops in order, also after removals at any position', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.array(fc.nat()), (values, removals) => {
      const heap = new Heap<number>((a, b) => a < b);
      for (const value of values) heap.push(value);
      const left = [...values];
      for (const position of removals) {
        if (heap.size === 0) break;
        const removed = heap.removeAt(position % heap.size) as number;
        left.splice(left.indexOf(removed), 1);
      }
      const popped: number[] = [];
      for (let value = heap.pop(); value !== undefined; value = heap.pop()) popped.push(value);
      expect(popped).toEqual(left.sort((a, b) => a - b));
    }),
  );
});
