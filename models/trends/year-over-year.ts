import { shiftPeriod } from '../periods/quarter.js'
import { poissonRateTest } from '../stats/poisson-rate-test.js'
import { fourQuarterRate, type QuarterlyCount } from './four-quarter-rate.js'

export type { QuarterlyCount } from './four-quarter-rate.js'

/** The year-over-year comparison at one quarter (field names as the API sends them). */
export interface YearOverYearEntry {
  /** quarter t, canonical `2024Q3` */
  period: string
  /** 4-quarter rate ending at t, a proportion */
  rate: number
  /** 4-quarter rate ending at t − 4 (the year before) */
  rate_prev_year: number
  /** rate − rate_prev_year, in proportion points */
  change: number
  /** change / rate_prev_year; null when rate_prev_year is 0 */
  relative_change: number | null
  /** two-sided exact p-value for equal rates (R `poisson.test(c(count, count_prev_year), c(population, population_prev_year))`) */
  p_value: number
  /** Σ count over the four quarters ending at t */
  count: number
  /** Σ population over the four quarters ending at t */
  population: number
  /** Σ count over the four quarters ending at t − 4 */
  count_prev_year: number
  /** Σ population over the four quarters ending at t − 4 */
  population_prev_year: number
}

/**
 * Year-over-year change of the 4-quarter rate, with an exact test: has the share of young people
 * becoming drug-offence suspects over the last year moved against the year before, beyond what
 * chance in small numbers explains?
 *
 * Formula, at quarter t: y1 = `count`, n1 = `population` summed over the four quarters ending at
 * t, y0 = `count_prev_year`, n0 = `population_prev_year` over the four ending at t − 4;
 * rate = y1/n1, rate_prev_year = y0/n0, change = rate − rate_prev_year, relative_change =
 * change / rate_prev_year, p_value = the two-sided exact conditional Poisson test of y1 out of
 * y1 + y0 with p = n1/(n1 + n0) ({@link poissonRateTest}).
 *
 * Variant: the two windows do not overlap (t−7 … t−4 against t−3 … t); an entry exists only
 * when both 4-quarter rates exist (see {@link fourQuarterRate}: consecutive calendar quarters,
 * no nulls, positive population). The conditional test is exact for small counts, where a
 * normal approximation would flag noise.
 *
 * Reference: DESIGN.md §3 "Year over year"; R 4.2.2 `poisson.test(c(y1, y0), c(n1, n0))`,
 * matched in `test/models/trends/year-over-year.test.ts`.
 *
 * @param series - an area's quarterly rows in any order, one per quarter; counts and
 *   populations whole numbers ≥ 0 or null
 * @returns one entry per quarter with both windows complete, sorted by period ascending
 * @throws {TypeError} when a period is not a quarter
 * @throws {RangeError} when a quarter occurs twice or a count or population is invalid
 *
 * @example yearOverYear(eightConsecutiveQuarters) // one entry, at the eighth quarter
 */
export function yearOverYear(series: readonly QuarterlyCount[]): YearOverYearEntry[] {
  const rates = fourQuarterRate(series)
  const byPeriod = new Map(rates.map((entry) => [entry.period, entry]))
  const entries: YearOverYearEntry[] = []
  for (const current of rates) {
    const previous = byPeriod.get(shiftPeriod(current.period, -4))
    if (!previous) continue
    const change = current.rate - previous.rate
    const { p_value: pValue } = poissonRateTest(
      [current.count, previous.count],
      [current.population, previous.population],
    )
    entries.push({
      period: current.period,
      rate: current.rate,
      rate_prev_year: previous.rate,
      change,
      relative_change: previous.rate === 0 ? null : change / previous.rate,
      p_value: pValue,
      count: current.count,
      population: current.population,
      count_prev_year: previous.count,
      population_prev_year: previous.population,
    })
  }
  return entries
}
