/**
 * A small least-recently-used cache (a Map keeps insertion order: re-inserting on a hit moves
 * the entry to the end, and the first entry is the least recently used).
 */
export class LruCache<Value> {
  private readonly entries = new Map<string, Value>()

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('LruCache requires a capacity of 1 or more')
  }

  get(key: string): Value | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  set(key: string, value: Value): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}
