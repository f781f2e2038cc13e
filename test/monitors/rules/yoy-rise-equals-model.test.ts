import t from 'tap'
import fc from 'fast-check'
import type { AreaSeriesInput, Finding } from '../../../monitors/rules/alert-input.js'
import { resolveRuleParams } from '../../../monitors/rules/rule-params.js'
import { yoyRiseEvaluator } from '../../../monitors/rules/yoy-rise.js'
import { benjaminiHochberg } from '../../../models/stats/benjamini-hochberg.js'
import {
  yearOverYear,
  type QuarterlyCount,
  type YearOverYearEntry,
} from '../../../models/trends/year-over-year.js'
import { baseColumn, outcomeColumn } from '../../../models/vocabulary/indicators.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'
import { alertInput, areaSeries, quartersFrom } from './area-series.js'

/**
 * Two routes to one number (STYLE.md, did's fast-vs-reference tests): the `yoy_rise` rule
 * computes each area's year-over-year entry from two position windows (`windowSums`) to stay
 * fast, while `models/trends/year-over-year.ts` parses quarters, builds 4-quarter rates on the
 * calendar axis and pairs t with t − 4. On random panels both must give the same entries at every
 * quarter: the same windows left out (a missing quarter, a null count or population, people
 * summing to 0, too short a history), the same sums, rates, change, p-value, the same
 * Benjamini–Hochberg adjustment across the areas, and so the same verdict.
 *
 * Tolerance: both sides do the same float64 divisions on the same integer sums and call the same
 * `poissonRateTest`, so they agree exactly today; 1e-12 relative only forgives a future change of
 * summation order.
 */
const sameComputation = 1e-12
const propertyRuns = { seed: 20241125, numRuns: 120 }

/** One quarter of one area: a count and a population, either possibly missing. */
interface Cell {
  count: number | null
  population: number | null
}

/** A cell and, when it is missing, whether its row is left out of the model's input altogether
 * instead of sent with nulls (the monitors see nulls either way). */
interface Quarter {
  cell: Cell
  absent: boolean
}

const cellArbitrary: fc.Arbitrary<Cell> = fc.record({
  count: fc.option(fc.integer({ min: 0, max: 25 }), { freq: 12 }),
  // mostly a few hundred people, sometimes none (a window can sum to 0)
  population: fc.option(
    fc.oneof(
      { arbitrary: fc.integer({ min: 50, max: 400 }), weight: 10 },
      { arbitrary: fc.constant(0), weight: 1 },
    ),
    { freq: 12 },
  ),
})

const panelArbitrary = fc
  .record({
    length: fc.integer({ min: 6, max: 20 }),
    areaCount: fc.integer({ min: 1, max: 6 }),
    // start anywhere from 2010Q1 to 2020Q4, so windows cross year boundaries at every offset
    startOffset: fc.integer({ min: 0, max: 43 }),
  })
  .chain(({ length, areaCount, startOffset }) =>
    fc.record({
      periods: fc.constant(quartersFrom('2010Q1', startOffset + length).slice(startOffset)),
      cells: fc.array(
        fc.array(
          fc.record({
            cell: cellArbitrary,
            absent: fc.boolean(),
          }),
          { minLength: length, maxLength: length },
        ),
        { minLength: areaCount, maxLength: areaCount },
      ),
      shuffleSeed: fc.integer(),
      params: fc.record({
        q: fc.constantFrom(0.05, 0.2, 0.5),
        min_relative_rise: fc.constantFrom(0, 0.1, 0.5),
        min_count: fc.integer({ min: 0, max: 30 }),
      }),
    }),
  )

/** The model's input: present rows only, in a scrambled order (the model takes any order). */
function modelSeries(
  periods: readonly string[],
  cells: readonly Quarter[],
  shuffleSeed: number,
): QuarterlyCount[] {
  const rows = periods.flatMap((period, index) => {
    const { cell, absent } = cells[index]
    const missing = cell.count === null || cell.population === null
    return missing && absent ? [] : [{ period, count: cell.count, population: cell.population }]
  })
  return rows
    .map((row, index) => ({ row, key: Math.imul(index + 1, shuffleSeed | 1) >>> 0 }))
    .sort((left, right) => left.key - right.key)
    .map((entry) => entry.row)
}

function monitorArea(code: string, cells: readonly Quarter[]): AreaSeriesInput {
  return areaSeries(code, {
    population: cells.map(({ cell }) => cell.population),
    outcome: cells.map(({ cell }) => cell.count),
  })
}

t.test('yoy_rise equals models/trends/year-over-year.ts', async (t) => {
  t.test('when the fixture builds an area, then it uses the vocabulary columns', async (t) => {
    const area = monitorArea('BU1', [{ cell: { count: 3, population: 100 }, absent: false }])
    t.same(area[outcomeColumn], [3])
    t.same(area[baseColumn], [100])
  })

  t.test(
    'when panels are random, then every quarter gives the same entries, adjustment and verdict',
    async (t) => {
      const seen = { compared: 0, omitted: 0, fired: 0 }
      fc.assert(
        fc.property(panelArbitrary, ({ periods, cells, shuffleSeed, params }) => {
          const areas = cells.map((areaCells, index) => monitorArea(`BU${index}`, areaCells))
          const resolved = resolveRuleParams('yoy_rise', params)
          const evaluator = yoyRiseEvaluator(alertInput(periods, areas), areas, resolved)
          const models = cells.map(
            (areaCells) =>
              new Map(
                yearOverYear(modelSeries(periods, areaCells, shuffleSeed)).map((entry) => [
                  entry.period,
                  entry,
                ]),
              ),
          )
          const positions = areas.map((_, index) => index)
          for (let back = 0; back < periods.length; back++) {
            const period = periods[periods.length - 1 - back]
            const findings = evaluator.at(back, positions)
            const entries = models.map((model) => model.get(period) ?? null)
            const adjusted = benjaminiHochberg(entries.map((entry) => entry?.p_value ?? null))
            for (const position of positions) {
              const problem = disagreement(
                findings[position],
                entries[position],
                adjusted[position],
                resolved,
              )
              if (problem) throw new Error(`${period}, area ${position}: ${problem}`)
              if (entries[position] === null) seen.omitted++
              else seen.compared++
              if (findings[position]?.fires) seen.fired++
            }
          }
          return true
        }),
        propertyRuns,
      )
      // the random panels must exercise both present and omitted windows, and some firing
      t.ok(seen.compared >= 200, `${seen.compared} entries compared`)
      t.ok(seen.omitted >= 200, `${seen.omitted} windows omitted`)
      t.ok(seen.fired >= 5, `${seen.fired} findings fired`)
    },
  )
})

/** Why a monitor finding and a model entry disagree, or null when they agree. */
function disagreement(
  finding: Finding | null,
  entry: YearOverYearEntry | null,
  pAdjusted: number | null,
  params: { q: number; min_relative_rise: number; min_count: number },
): string | null {
  if (entry === null || finding === null) {
    return entry === finding
      ? null
      : `model ${entry ? 'has' : 'lacks'} an entry, monitor ${finding ? 'has' : 'lacks'} a finding`
  }
  const facts = finding.facts
  if (facts.kind !== 'yoy_rise') return `facts of kind ${facts.kind}`
  for (const field of ['count', 'population', 'count_prev_year', 'population_prev_year'] as const) {
    if (facts[field] !== entry[field]) return `${field} ${facts[field]} against ${entry[field]}`
  }
  const close = (actual: number | null, expected: number | null, what: string) => {
    if (actual === null || expected === null)
      return actual === expected ? null : `${what} ${actual} against ${expected}`
    return withinRelative(actual, expected, sameComputation)
      ? null
      : `${what}: ${describeGap(actual, expected)}`
  }
  const problem =
    close(facts.rate, entry.rate, 'rate') ??
    close(facts.rate_prev_year, entry.rate_prev_year, 'rate_prev_year') ??
    close(facts.rate - facts.rate_prev_year, entry.change, 'change') ??
    close(facts.relative_change, entry.relative_change, 'relative_change') ??
    close(finding.value, entry.relative_change, 'value') ??
    close(facts.p_value, entry.p_value, 'p_value') ??
    close(facts.p_adjusted, pAdjusted, 'p_adjusted')
  if (problem) return problem
  // the documented rule, decided from the model's numbers
  const fires =
    pAdjusted !== null &&
    pAdjusted <= params.q &&
    entry.change > 0 &&
    entry.relative_change !== null &&
    entry.relative_change >= params.min_relative_rise &&
    entry.count >= params.min_count
  return finding.fires === fires ? null : `fires ${finding.fires} against ${fires}`
}
