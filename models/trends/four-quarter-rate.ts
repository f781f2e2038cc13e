import { formatQuarter, parseQuarter, quartersBetween, type Quarter } from '../periods/quarter.js'

/** One quarter of an area's series: a count and the population it is a share of. */
export interface QuarterlyCount {
  /** the quarter, `2024Q3` (other accepted spellings such as `2024-Q3`, `2024KW03` also parse) */
  readonly period: string
  /** events in the quarter (e.g. drug_offence_suspects); null when not delivered */
  readonly count: number | null
  /** people at risk in the quarter (youth_population); null when not delivered */
  readonly population: number | null
}

/** The 4-quarter rate ending at `period`, with the sums it is made of. */
export interface FourQuarterRate {
  /** the last of the four quarters, canonical `2024Q3` */
  period: string
  /** count / population, a proportion (events per person over the four quarters) */
  rate: number
  /** Σ count over the four quarters */
  count: number
  /** Σ population over the four quarters (person-quarters) */
  population: number
}

/**
 * Four-quarter (rolling annual) rate: the share of young people who became a drug-offence
 * suspect over the year ending at quarter t, smoothing out seasonal swings and small counts.
 *
 * Formula: rate(t) = Σ count / Σ population over the quarters t−3, t−2, t−1 and t (`count`,
 * `population` of each `QuarterlyCount`), following DESIGN.md "Year over year".
 *
 * Variant: quarters are consecutive CALENDAR quarters: when one of the four is absent from
 * `series` (a gap, not simply the previous row) or has a null count or population, no rate is
 * given for t. A rate whose Σ population is 0 is undefined and also left out. The denominator
 * is the sum of quarterly populations (person-quarters), so rate is an average quarterly risk
 * times four quarters' worth of events over four quarters' worth of people.
 *
 * Reference: DESIGN.md §3 "Definitions the numbers must follow", Year over year.
 *
 * @param series - an area's quarterly rows in any order (the result does not depend on it); at
 *   most one row per quarter; counts and populations whole numbers ≥ 0 or null
 * @returns one entry per quarter t of `series` whose four quarters are all complete, sorted by
 *   period ascending
 * @throws {TypeError} when a period is not a quarter
 * @throws {RangeError} when a quarter occurs twice or a count or population is negative or fractional
 *
 * @example
 *   fourQuarterRate([
 *     {period: '2024Q1', count: 1, population: 100}, {period: '2024Q2', count: 2, population: 100},
 *     {period: '2024Q3', count: 0, population: 100}, {period: '2024Q4', count: 1, population: 100},
 *   ]) // [{period: '2024Q4', rate: 0.01, count: 4, population: 400}]
 */
export function fourQuarterRate(series: readonly QuarterlyCount[]): FourQuarterRate[] {
  if (!Array.isArray(series)) {
    throw new TypeError(`fourQuarterRate requires an array of {period, count, population} rows`)
  }
  const parsed: { quarter: Quarter; row: QuarterlyCount }[] = series.map((row) => {
    const quarter = typeof row?.period === 'string' ? parseQuarter(row.period) : undefined
    if (!quarter) {
      throw new TypeError(
        `fourQuarterRate requires periods like 2024Q3, got ${JSON.stringify(row?.period)}`,
      )
    }
    for (const field of ['count', 'population'] as const) {
      const value = row[field]
      if (value !== null && !(Number.isInteger(value) && value >= 0)) {
        throw new RangeError(
          `fourQuarterRate requires each ${field} to be a whole number of at least 0 or null, got ${String(value)} at ${formatQuarter(quarter)}`,
        )
      }
    }
    return { quarter, row }
  })
  if (parsed.length === 0) return []

  // position of every quarter on one integer axis, so t−1 … t−3 are plain arithmetic
  const origin = parsed[0].quarter
  const byPosition = new Map<number, { quarter: Quarter; row: QuarterlyCount }>()
  for (const entry of parsed) {
    const position = quartersBetween(origin, entry.quarter)
    if (byPosition.has(position)) {
      throw new RangeError(
        `fourQuarterRate requires one row per quarter, got ${formatQuarter(entry.quarter)} twice`,
      )
    }
    byPosition.set(position, entry)
  }

  const rates: { position: number; rate: FourQuarterRate }[] = []
  for (const [position, entry] of byPosition) {
    let count = 0
    let population = 0
    let complete = true
    for (let back = 0; back < 4 && complete; back++) {
      const row = byPosition.get(position - back)?.row
      if (!row || row.count === null || row.population === null) {
        complete = false
      } else {
        count += row.count
        population += row.population
      }
    }
    if (!complete || population === 0) continue
    rates.push({
      position,
      rate: { period: formatQuarter(entry.quarter), rate: count / population, count, population },
    })
  }
  return rates.sort((left, right) => left.position - right.position).map((entry) => entry.rate)
}
