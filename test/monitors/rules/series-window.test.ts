import t from 'tap'
import { largestPredictorRise, windowSums } from '../../../monitors/rules/series-window.js'
import { predictors } from '../../../models/vocabulary/indicators.js'
import { areaSeries, constant } from './area-series.js'

/**
 * Expected values are hand sums. For the boundary of `largestPredictorRise` the populations are
 * 256 a quarter (1024 a window), so every rate is a binary fraction: 80/1024 → 88/1024 is a
 * relative rise of 8/80, computed exactly as the double nearest 0.1, the default minimum.
 */
const [schoolLeaving, halt, debt] = predictors

t.test('windowSums', async (t) => {
  const counts = [1, 2, 3, 4, 5, 6]
  const population = [10, 20, 30, 40, 50, 60]

  t.test('when the window lies inside the series, then counts and people are summed', async (t) => {
    // quarters 2–5: 3 + 4 + 5 + 6 = 18; 30 + 40 + 50 + 60 = 180
    t.same(windowSums(counts, population, 5, 4), { count: 18, population: 180 })
    // quarters 0–3: 10 people-sum 100
    t.same(windowSums(counts, population, 3, 4), { count: 10, population: 100 })
    t.same(windowSums(counts, population, 0, 1), { count: 1, population: 10 })
  })

  t.test('when the window starts before the first quarter, then it is null', async (t) => {
    t.equal(windowSums(counts, population, 2, 4), null)
    t.equal(windowSums(counts, population, -1, 1), null)
  })

  t.test('when the window ends after the last quarter, then it is null', async (t) => {
    t.equal(windowSums(counts, population, 6, 4), null)
  })

  t.test('when a count or a population in the window is missing, then it is null', async (t) => {
    t.equal(windowSums([1, null, 3, 4], [10, 20, 30, 40], 3, 4), null)
    t.equal(windowSums([1, 2, 3, 4], [10, 20, null, 40], 3, 4), null)
    // outside the window a gap does not matter
    t.same(windowSums([null, 2, 3, 4, 5], [10, 20, 30, 40, 50], 4, 4), {
      count: 14,
      population: 140,
    })
  })

  t.test(
    'when the people sum to 0, then the zero sums come back (the caller decides)',
    async (t) => {
      t.same(windowSums([0, 0], [0, 0], 1, 2), { count: 0, population: 0 })
    },
  )
})

t.test('largestPredictorRise', async (t) => {
  const population = constant(256, 8)
  /** Four quarters summing to `before`, then four summing to `after` (spread as evenly as whole numbers allow). */
  const twoYears = (before: number, after: number) => [...spread(before), ...spread(after)]
  function spread(total: number): number[] {
    const base = Math.floor(total / 4)
    return [0, 1, 2, 3].map((index) => base + (index < total - base * 4 ? 1 : 0))
  }
  const area = (counts: Partial<Record<(typeof predictors)[number]['column'], number[]>>) =>
    areaSeries('BU05180101', {
      population,
      outcome: constant(5, 8),
      predictorCounts: {
        [schoolLeaving.column]: twoYears(80, 80),
        [halt.column]: twoYears(80, 80),
        [debt.column]: twoYears(80, 80),
        ...counts,
      },
    })

  t.test('when a predictor rose by exactly the minimum, then it is named', async (t) => {
    const rise = largestPredictorRise(area({ [debt.column]: twoYears(80, 88) }), 7)
    // (88/1024 − 80/1024) / (80/1024) = 8/80 = 0.1
    t.same(rise, {
      predictor: debt.term,
      relative_change: 0.1,
      count: 88,
      count_prev_year: 80,
      population: 1024,
    })
  })

  t.test('when every predictor rose by less than the minimum, then it is null', async (t) => {
    // 87 against 80: 7/80 = 0.0875 < 0.1
    t.equal(largestPredictorRise(area({ [debt.column]: twoYears(80, 87) }), 7), null)
    t.same(
      largestPredictorRise(area({ [debt.column]: twoYears(80, 87) }), 7, 0.08)?.predictor,
      debt.term,
    )
  })

  t.test('when several rose, then the largest relative rise is named', async (t) => {
    const rise = largestPredictorRise(
      area({
        [schoolLeaving.column]: twoYears(80, 100),
        [halt.column]: twoYears(40, 60),
        [debt.column]: twoYears(80, 96),
      }),
      7,
    )
    // school leaving 20/80 = 0.25, HALT 20/40 = 0.5, debt 16/80 = 0.2
    t.equal(rise?.predictor, halt.term)
    t.equal(rise?.relative_change, 0.5)
  })

  t.test('when two rose equally, then the first in vocabulary order is named', async (t) => {
    const rise = largestPredictorRise(
      area({ [halt.column]: twoYears(80, 120), [debt.column]: twoYears(80, 120) }),
      7,
    )
    t.equal(rise?.predictor, halt.term)
  })

  t.test(
    'when the population changes, then the rise is of rates and the smaller population is given',
    async (t) => {
      const grown = areaSeries('BU05180101', {
        population: [...constant(256, 4), ...constant(512, 4)],
        outcome: constant(5, 8),
        predictorCounts: {
          [schoolLeaving.column]: twoYears(80, 80),
          [halt.column]: twoYears(80, 80),
          // twice the count on twice the people: the rate did not move
          [debt.column]: twoYears(80, 160),
        },
      })
      t.equal(largestPredictorRise(grown, 7), null)
      const risen = areaSeries('BU05180101', {
        population: [...constant(512, 4), ...constant(256, 4)],
        outcome: constant(5, 8),
        predictorCounts: {
          [schoolLeaving.column]: twoYears(80, 40),
          [halt.column]: twoYears(80, 40),
          [debt.column]: twoYears(80, 80),
        },
      })
      // the same count on half the people: rate doubles, relative change 1 (the others halve
      // their count and keep their rate)
      t.same(largestPredictorRise(risen, 7), {
        predictor: debt.term,
        relative_change: 1,
        count: 80,
        count_prev_year: 80,
        population: 1024,
      })
    },
  )

  t.test('when the year before had no cases, then that predictor is not named', async (t) => {
    t.equal(largestPredictorRise(area({ [debt.column]: twoYears(0, 40) }), 7), null)
  })

  t.test('when a quarter of either year is missing, then that predictor is skipped', async (t) => {
    const gap = twoYears(80, 120) as (number | null)[]
    gap[1] = null
    t.equal(largestPredictorRise(area({ [debt.column]: gap as number[] }), 7), null)
    const missingPopulation = areaSeries('BU05180101', {
      population: [256, 256, 256, 256, 256, null, 256, 256],
      outcome: constant(5, 8),
      predictorCounts: { [debt.column]: twoYears(80, 120) },
    })
    t.equal(largestPredictorRise(missingPopulation, 7), null)
  })

  t.test('when fewer than eight quarters end at the quarter, then it is null', async (t) => {
    t.equal(largestPredictorRise(area({ [debt.column]: twoYears(80, 120) }), 6), null)
  })
})
