/** One line of `npm run bench` output (DESIGN.md §4): `ratio` is always `value / baseline`. */
export interface BenchResult {
  name: string
  value: number
  unit: string
  baseline?: number
  ratio?: number
}

export type BenchScale = 'full' | 'small'

export interface BenchContext {
  scale: BenchScale
  /** Human-readable progress, written to stderr. */
  log(message: string): void
  /** A PostgreSQL server URL for benchmarks that need one (BENCH_DATABASE_URL or the local server). */
  serverUrl: string
}

/** A benchmark file's default export. */
export type Benchmark = (context: BenchContext) => Promise<BenchResult[]>

export function withBaseline(
  name: string,
  value: number,
  unit: string,
  baseline: number,
): BenchResult {
  return { name, value, unit, baseline, ratio: value / baseline }
}
