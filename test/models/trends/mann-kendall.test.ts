import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import fc from 'fast-check'
import { mannKendall, type MannKendallResult } from '../../../models/trends/mann-kendall.js'
import { describeGap, withinAbsolute, withinRelative } from '../../support/tolerance.js'

/**
 * Reference: shared/reference/mann_kendall_cases.json (README §3): pymannkendall 1.4.3 outputs
 * (published) and self-computed cases, float64 values stored in full. The README reports an
 * independent numpy implementation reproducing them bit-for-bit; we ask 1e-10 relative, leaving
 * room only for summation order. A p printed as 0.0 underflowed in 1 − Φ(|z|); the file's
 * conventions accept p < 1e-15 for it.
 */
const referencePrecision = 1e-10
const underflowedPValue = 1e-15
const propertyRuns = { seed: 20261125, numRuns: 200 }
/** median(x + c) − k·slope vs (median(x) − k·slope) + c: one rounding each, values ≤ ~1e3. */
const roundingOfShift = 1e-9

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
  alpha: number
  input?: (number | null)[]
  input_ref?: string
  input_generator?: string
  expected: ExpectedResult
  also_original_test?: ExpectedResult
}

const casesPath = fileURLToPath(
  new URL('../../../../shared/reference/mann_kendall_cases.json', import.meta.url),
)
const reference = JSON.parse(readFileSync(casesPath, 'utf8')) as { cases: ReferenceCase[] }

/** The series of a case: stored, borrowed from another case, or one of the two generators. */
function inputOf(referenceCase: ReferenceCase): (number | null)[] {
  if (referenceCase.input) return referenceCase.input
  if (referenceCase.input_ref) {
    const source = reference.cases.find((other) => other.id === referenceCase.input_ref)
    if (source?.input) return source.input
  }
  if (referenceCase.input_generator === 'x[i]=i for i=0..359') {
    return Array.from({ length: 360 }, (_, index) => index)
  }
  if (referenceCase.input_generator === 'x[i]=5.0 for i=0..359') {
    return Array.from({ length: 360 }, () => 5)
  }
  throw new Error(`no input for reference case ${referenceCase.id}`)
}

function assertMatches(
  t: {
    ok(value: boolean, message: string): unknown
    equal(a: unknown, b: unknown, m: string): unknown
  },
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

/** A small seeded generator (mulberry32) for the known-truth simulations. */
function seededUniform(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}

t.test('mannKendall', async (t) => {
  const originalCases = reference.cases.filter((entry) => entry.function === 'original_test')
  t.ok(originalCases.length >= 5, 'the reference file has its original_test cases')
  for (const referenceCase of originalCases) {
    t.test(
      `when given reference case ${referenceCase.id}, then every field matches pymannkendall original_test`,
      async (t) => {
        // pymannkendall 1.4.3: mk.original_test(x, alpha) — values from mann_kendall_cases.json
        const result = mannKendall(inputOf(referenceCase), referenceCase.alpha)
        assertMatches(t, result, referenceCase.expected, referenceCase.id)
      },
    )
  }
  for (const referenceCase of reference.cases.filter((entry) => entry.also_original_test)) {
    t.test(
      `when given the series of ${referenceCase.id}, then original_test's also_original_test values match`,
      async (t) => {
        // self-computed in the reference file: original_test on the seasonal case's series
        const result = mannKendall(inputOf(referenceCase), referenceCase.alpha)
        assertMatches(
          t,
          result,
          referenceCase.also_original_test as ExpectedResult,
          referenceCase.id,
        )
      },
    )
  }

  t.test('when alpha is left out, then 0.05 is used', async (t) => {
    const series = inputOf(reference.cases.find((entry) => entry.id === 'pmk_births_original')!)
    t.same(mannKendall(series), mannKendall(series, 0.05))
  })

  t.test('when fewer than 2 values are present, then a RangeError says so', async (t) => {
    t.throws(() => mannKendall([1, null, NaN]), {
      name: 'RangeError',
      message: /^mannKendall requires at least 2 non-missing values$/,
    })
    t.throws(() => mannKendall([]), {
      name: 'RangeError',
      message: /^mannKendall requires at least 2/,
    })
  })

  t.test('when a value is not a number or missing, then a TypeError names its index', async (t) => {
    t.throws(() => mannKendall([1, 2, Infinity]), {
      name: 'TypeError',
      message: /^mannKendall requires finite numbers or null \(missing\), got Infinity at index 2$/,
    })
    t.throws(() => mannKendall([1, '2' as unknown as number]), { name: 'TypeError' })
  })

  t.test('when alpha is not strictly between 0 and 1, then a RangeError says so', async (t) => {
    t.throws(() => mannKendall([1, 2, 3], 0), {
      name: 'RangeError',
      message: /^mannKendall requires alpha/,
    })
    t.throws(() => mannKendall([1, 2, 3], 1), {
      name: 'RangeError',
      message: /^mannKendall requires alpha/,
    })
  })

  t.test(
    'when a series has a planted upward trend, then the test finds it and Sen recovers the slope',
    async (t) => {
      // known truth: x_t = 10 + 0.5 t + uniform noise in [−2, 2], 48 quarters, seed 42
      const uniform = seededUniform(42)
      const series = Array.from(
        { length: 48 },
        (_, index) => 10 + 0.5 * index + (uniform() * 4 - 2),
      )
      const result = mannKendall(series)
      t.equal(result.trend, 'increasing')
      t.ok(withinAbsolute(result.slope, 0.5, 0.05), `slope ${describeGap(result.slope, 0.5)}`)
      t.ok(
        withinAbsolute(result.intercept, 10, 1),
        `intercept ${describeGap(result.intercept, 10)}`,
      )
    },
  )

  t.test('when series have no trend, then about alpha of them are flagged', async (t) => {
    // known truth: 1000 seeded white-noise series of 48 values; the rejection rate should be
    // near 0.05 (binomial sd ≈ 0.007; the normal approximation of S is slightly conservative)
    const uniform = seededUniform(7)
    let flagged = 0
    for (let run = 0; run < 1000; run++) {
      const series = Array.from({ length: 48 }, () => uniform())
      if (mannKendall(series).h) flagged++
    }
    t.ok(flagged >= 25 && flagged <= 75, `flagged ${flagged} of 1000`)
  })

  const seriesWithGaps = fc
    .array(fc.option(fc.integer({ min: -20, max: 20 }), { nil: null, freq: 6 }), {
      minLength: 2,
      maxLength: 40,
    })
    .filter((series) => series.filter((value) => value !== null).length >= 2)

  t.test('when any series is tested, then p lies in [0, 1] and tau in [−1, 1]', async (t) => {
    fc.assert(
      fc.property(seriesWithGaps, (series) => {
        const { p, tau } = mannKendall(series)
        return p >= 0 && p <= 1 && tau >= -1 && tau <= 1
      }),
      propertyRuns,
    )
    t.pass('bounds hold')
  })

  t.test('when a series is reversed in time, then s, z and the slope change sign', async (t) => {
    fc.assert(
      fc.property(seriesWithGaps, (series) => {
        const forward = mannKendall(series)
        const backward = mannKendall([...series].reverse())
        return (
          backward.s === -forward.s &&
          backward.z === -forward.z &&
          backward.var_s === forward.var_s &&
          backward.slope === -forward.slope &&
          backward.p === forward.p
        )
      }),
      propertyRuns,
    )
    t.pass('reversal symmetry holds')
  })

  t.test('when a constant is added to every value, then only the intercept moves', async (t) => {
    fc.assert(
      fc.property(seriesWithGaps, fc.integer({ min: -1000, max: 1000 }), (series, shift) => {
        const base = mannKendall(series)
        const shifted = mannKendall(series.map((value) => (value === null ? null : value + shift)))
        return (
          shifted.s === base.s &&
          shifted.var_s === base.var_s &&
          shifted.slope === base.slope &&
          withinAbsolute(shifted.intercept, base.intercept + shift, roundingOfShift)
        )
      }),
      propertyRuns,
    )
    t.pass('shift invariance holds')
  })

  t.test('when alpha grows, then a trend found at the smaller alpha is still found', async (t) => {
    fc.assert(
      fc.property(
        seriesWithGaps,
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        (series, first, second) => {
          const smaller = Math.min(first, second)
          const larger = Math.max(first, second)
          return !mannKendall(series, smaller).h || mannKendall(series, larger).h
        },
      ),
      propertyRuns,
    )
    t.pass('verdict monotone in alpha')
  })

  t.test('when the input is frozen, then it is not mutated', async (t) => {
    const series = Object.freeze([3, null, 1, 4, 1, 5, NaN, 9, 2, 6])
    t.doesNotThrow(() => mannKendall(series))
    t.same(series, [3, null, 1, 4, 1, 5, NaN, 9, 2, 6])
  })
})
