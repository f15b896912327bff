/** A binary min-heap under `before` (true when a goes first). */
export class Heap<T> {
  private readonly items: T[] = [];
  private readonly before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.before = before;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    return this.removeAt(0);
  }

  /** Removes the item at position `index` of the heap's array (any order): for a random pick. */
  removeAt(index: number): T | undefined {
    const items = this.items;
    if (index < 0 || index >= items.length) return undefined;
    const item = items[index] as T;
    const last = items.pop() as T;
    if (index < items.length) {
      items[index] = last;
      this.down(index);
      this.up(index);
    }
    return item;
  }

  /** Every item, in no particular order. */
  values(): readonly T[] {
    return this.items;
  }

  private up(index: number): void {
    const items = this.items;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i] as T, items[parent] as T)) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  private down(index: number): void {
    const items = this.items;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < items.length && this.before(items[left] as T, items[first] as T)) first = left;
      if (right < items.length && this.before(items[right] as T, items[first] as T)) first = right;
      if (first === i) return;
      [items[i], items[first]] = [items[first] as T, items[i] as T];
      i = first;
    }
  }
}
