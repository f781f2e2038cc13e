import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { mannKendall } from '../../../models/trends/mann-kendall.js'
import {
  seasonalMannKendall,
  type MannKendallResult,
} from '../../../models/trends/seasonal-mann-kendall.js'
import { describeGap, withinAbsolute, withinRelative } from '../../support/tolerance.js'

/**
 * Reference: shared/reference/mann_kendall_cases.json (README §3): pymannkendall 1.4.3
 * `seasonal_test` outputs, period 12 published, period 4 self-computed by an independent numpy
 * implementation that reproduces the published ones bit-for-bit. Float64 values stored in full;
 * we ask 1e-10 relative (summation order only). p printed as 0.0 underflowed in 1 − Φ(|z|):
 * the file's conventions accept p < 1e-15.
 */
const referencePrecision = 1e-10
const underflowedPValue = 1e-15
const propertyRuns = { seed: 20261125, numRuns: 200 }

interface ExpectedResult {
  trend: string
  h: boolean
  p: number
  z: number
  Tau: number
  s: number
  var_s: number
  slope: number
  intercept: number
}
interface ReferenceCase {
  id: string
  function: 'original_test' | 'seasonal_test'
  period?: number
  alpha: number
  input?: (number | null)[]
  input_ref?: string
  input_generator?: string
  expected: ExpectedResult
}

const casesPath = fileURLToPath(
  new URL('../../../../shared/reference/mann_kendall_cases.json', import.meta.url),
)
const reference = JSON.parse(readFileSync(casesPath, 'utf8')) as { cases: ReferenceCase[] }

/** The series of a case: stored, borrowed from another case, or the linear generator. */
function inputOf(referenceCase: ReferenceCase): (number | null)[] {
  if (referenceCase.input) return referenceCase.input
  if (referenceCase.input_ref) {
    const source = reference.cases.find((other) => other.id === referenceCase.input_ref)
    if (source?.input) return source.input
  }
  if (referenceCase.input_generator === 'x[i]=i for i=0..359') {
    return Array.from({ length: 360 }, (_, index) => index)
  }
  throw new Error(`no input for reference case ${referenceCase.id}`)
}

function assertMatches(
  t: Test,
  actual: MannKendallResult,
  expected: ExpectedResult,
  label: string,
): void {
  t.equal(actual.trend, expected.trend, `${label} trend`)
  t.equal(actual.h, expected.h, `${label} h`)
  const numeric: [keyof MannKendallResult, number][] = [
    ['z', expected.z],
    ['tau', expected.Tau],
    ['s', expected.s],
    ['var_s', expected.var_s],
    ['slope', expected.slope],
    ['intercept', expected.intercept],
  ]
  for (const [field, wanted] of numeric) {
    const got = actual[field] as number
    t.ok(
      withinRelative(got, wanted, referencePrecision),
      `${label} ${field}: ${describeGap(got, wanted)}`,
    )
  }
  const pMatches =
    expected.p === 0
      ? withinAbsolute(actual.p, 0, underflowedPValue)
      : withinRelative(actual.p, expected.p, referencePrecision)
  t.ok(pMatches, `${label} p: ${describeGap(actual.p, expected.p)}`)
}

t.test('seasonalMannKendall', async (t) => {
  const seasonalCases = reference.cases.filter((entry) => entry.function === 'seasonal_test')
  t.ok(
    seasonalCases.some((entry) => entry.period === 12) &&
      seasonalCases.some((entry) => entry.period === 4),
    'the reference file has period-12 and period-4 cases',
  )
  for (const referenceCase of seasonalCases) {
    t.test(
      `when given reference case ${referenceCase.id} (period ${referenceCase.period}), then every field matches pymannkendall seasonal_test`,
      async (t) => {
        // pymannkendall 1.4.3: mk.seasonal_test(x, period, alpha) — values from mann_kendall_cases.json
        const result = seasonalMannKendall(
          inputOf(referenceCase),
          referenceCase.period,
          referenceCase.alpha,
        )
        assertMatches(t, result, referenceCase.expected, referenceCase.id)
      },
    )
  }

  t.test('when period and alpha are left out, then quarters (4) and 0.05 are used', async (t) => {
    const series = inputOf(
      reference.cases.find((entry) => entry.id === 'own_arbitrary40_seasonal4')!,
    )
    t.same(seasonalMannKendall(series), seasonalMannKendall(series, 4, 0.05))
  })

  t.test('when no season has 2 values, then a RangeError says so', async (t) => {
    t.throws(() => seasonalMannKendall([1, 2, 3, 4]), {
      name: 'RangeError',
      message: /^seasonalMannKendall requires at least 2 non-missing values in one season/,
    })
    t.throws(() => seasonalMannKendall([1, 2, 3, 4, null, null, null, null]), {
      name: 'RangeError',
    })
  })

  t.test('when period or alpha is invalid, then a RangeError names it', async (t) => {
    t.throws(() => seasonalMannKendall([1, 2, 3, 4], 1), {
      name: 'RangeError',
      message: /^seasonalMannKendall requires period to be a whole number of at least 2$/,
    })
    t.throws(() => seasonalMannKendall([1, 2, 3, 4], 2.5), {
      name: 'RangeError',
      message: /requires period/,
    })
    t.throws(() => seasonalMannKendall([1, 2, 3, 4], 2, 0), {
      name: 'RangeError',
      message: /requires alpha/,
    })
  })

  t.test(
    'when a value is neither a number nor missing, then a TypeError names its index',
    async (t) => {
      t.throws(() => seasonalMannKendall([1, 2, 3, -Infinity]), {
        name: 'TypeError',
        message:
          /^seasonalMannKendall requires finite numbers or null \(missing\), got -Infinity at index 3$/,
      })
    },
  )

  t.test(
    'when quarters carry a fixed seasonal pattern and a yearly rise, then the slope per year is recovered',
    async (t) => {
      // known truth: 12 years of quarters, seasonal offsets (0, 5, −3, 8), +2 per year exactly
      const offsets = [0, 5, -3, 8]
      const series = Array.from(
        { length: 48 },
        (_, index) => 2 * Math.floor(index / 4) + offsets[index % 4],
      )
      const result = seasonalMannKendall(series)
      t.equal(result.slope, 2)
      t.equal(result.trend, 'increasing')
      t.equal(result.tau, 1)
    },
  )

  const seriesWithGaps = fc
    .tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 8 }))
    .chain(([period, cycles]) =>
      fc.tuple(
        fc.constant(period),
        fc.array(fc.option(fc.integer({ min: -10, max: 10 }), { nil: null, freq: 6 }), {
          minLength: period * cycles,
          maxLength: period * cycles,
        }),
      ),
    )
    .filter(([period, series]) => {
      for (let season = 0; season < period; season++) {
        const present = series.filter((value, index) => index % period === season && value !== null)
        if (present.length >= 2) return true
      }
      return false
    })

  t.test('when any series is tested, then p lies in [0, 1] and tau in [−1, 1]', async (t) => {
    fc.assert(
      fc.property(seriesWithGaps, ([period, series]) => {
        const { p, tau } = seasonalMannKendall(series, period)
        return p >= 0 && p <= 1 && tau >= -1 && tau <= 1
      }),
      propertyRuns,
    )
    t.pass('bounds hold')
  })

  t.test(
    'when whole cycles are reversed in time, then s, z and the slope change sign',
    async (t) => {
      fc.assert(
        fc.property(seriesWithGaps, ([period, series]) => {
          const forward = seasonalMannKendall(series, period)
          const backward = seasonalMannKendall([...series].reverse(), period)
          return (
            backward.s === -forward.s &&
            // seasons are summed in the reverse order, so var_s and z may differ in the last bit
            withinRelative(backward.z, -forward.z, referencePrecision) &&
            withinRelative(backward.var_s, forward.var_s, referencePrecision) &&
            backward.slope === -forward.slope
          )
        }),
        propertyRuns,
      )
      t.pass('reversal symmetry holds')
    },
  )

  t.test(
    'when s and var_s are summed from the original test per season, then they agree',
    async (t) => {
      fc.assert(
        fc.property(seriesWithGaps, ([period, series]) => {
          const seasonal = seasonalMannKendall(series, period)
          let s = 0
          let varS = 0
          for (let season = 0; season < period; season++) {
            const column = series.filter((_, index) => index % period === season)
            if (column.filter((value) => value !== null).length < 2) continue
            const perSeason = mannKendall(column)
            s += perSeason.s
            varS += perSeason.var_s
          }
          return seasonal.s === s && withinRelative(seasonal.var_s, varS, referencePrecision)
        }),
        propertyRuns,
      )
      t.pass('two routes agree')
    },
  )

  t.test('when the input is frozen, then it is not mutated', async (t) => {
    const series = Object.freeze([3, null, 1, 4, 1, 5, NaN, 9, 2, 6, 5, 3])
    t.doesNotThrow(() => seasonalMannKendall(series))
    t.same(series, [3, null, 1, 4, 1, 5, NaN, 9, 2, 6, 5, 3])
  })
})
