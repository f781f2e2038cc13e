import type { SnapshotFixture } from './snapshot-fixtures.js'

/** The models' seeded generator: the same fixture on every machine. */
export { mulberry32 as seededRandom } from '../../models/stats/seeded-random.js'

/** Poisson draw (Knuth), fine for the small means used here. */
export function poisson(random: () => number, mean: number): number {
  const limit = Math.exp(-mean)
  let product = random()
  let count = 0
  while (product > limit) {
    count += 1
    product *= random()
  }
  return count
}

/** The quarters 2013Q1 … 2024Q4 (48). */
export const quarters48 = Array.from(
  { length: 48 },
  (_, index) => `${2013 + Math.floor(index / 4)}Q${(index % 4) + 1}`,
)

export type Shape = 'stable' | 'spike' | 'yoy' | 'trend'

/**
 * Expected suspects per quarter for a shape (population 1000, base mean 10): `spike` quadruples
 * the last quarter, `yoy` doubles the last four, `trend` rises linearly from 4 to 30.
 */
export function shapeMean(shape: Shape, index: number, length: number, base = 10): number {
  if (shape === 'spike' && index === length - 1) return base * 4
  if (shape === 'yoy' && index >= length - 4) return base * 2.2
  if (shape === 'trend') return 4 + (26 * index) / (length - 1)
  return base
}

/** Snapshot rows of one neighbourhood following a shape over `periods`. */
export function shapedRows(
  code: string,
  shape: Shape,
  random: () => number,
  periods: readonly string[] = quarters48,
  options: { population?: number; base?: number } = {},
): SnapshotFixture[] {
  const population = options.population ?? 1000
  return periods.map((period, index) => ({
    area_code: code,
    area_name: `Buurt ${code}`,
    period,
    youth_population: population,
    early_school_leavers: poisson(random, 40),
    halt_registrations: poisson(random, 20),
    parental_debt:
      shape === 'stable'
        ? poisson(random, 80)
        : poisson(random, index >= periods.length - 4 ? 140 : 80),
    drug_offence_suspects: poisson(random, shapeMean(shape, index, periods.length, options.base)),
  }))
}
