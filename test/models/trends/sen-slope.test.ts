import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import fc from 'fast-check'
import { senSlope } from '../../../models/trends/sen-slope.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

/**
 * Reference: shared/reference/mann_kendall_cases.json (README §3), the slope and intercept of
 * every original_test case (pymannkendall's `original_test` returns `sens_slope(x)`); float64
 * values stored in full, reproduced bit-for-bit by an independent implementation; 1e-10 relative.
 */
const referencePrecision = 1e-10
const propertyRuns = { seed: 20261125, numRuns: 200 }

interface ReferenceCase {
  id: string
  function: string
  input?: (number | null)[]
  input_generator?: string
  expected: { slope: number; intercept: number }
}
const casesPath = fileURLToPath(
  new URL('../../../../shared/reference/mann_kendall_cases.json', import.meta.url),
)
const reference = JSON.parse(readFileSync(casesPath, 'utf8')) as { cases: ReferenceCase[] }

function inputOf(referenceCase: ReferenceCase): (number | null)[] {
  if (referenceCase.input) return referenceCase.input
  if (referenceCase.input_generator === 'x[i]=i for i=0..359') {
    return Array.from({ length: 360 }, (_, index) => index)
  }
  if (referenceCase.input_generator === 'x[i]=5.0 for i=0..359') {
    return Array.from({ length: 360 }, () => 5)
  }
  throw new Error(`no input for reference case ${referenceCase.id}`)
}

t.test('senSlope', async (t) => {
  for (const referenceCase of reference.cases.filter(
    (entry) => entry.function === 'original_test',
  )) {
    t.test(
      `when given reference case ${referenceCase.id}, then slope and intercept match pymannkendall sens_slope`,
      async (t) => {
        // pymannkendall 1.4.3: mk.sens_slope(x) — values from mann_kendall_cases.json
        const { slope, intercept } = senSlope(inputOf(referenceCase))
        const expected = referenceCase.expected
        t.ok(
          withinRelative(slope, expected.slope, referencePrecision),
          `slope: ${describeGap(slope, expected.slope)}`,
        )
        t.ok(
          withinRelative(intercept, expected.intercept, referencePrecision),
          `intercept: ${describeGap(intercept, expected.intercept)}`,
        )
      },
    )
  }

  t.test(
    'when a value is missing, then its neighbours keep their original time positions',
    async (t) => {
      // pairs (0,1), (0,3), (1,3): slopes 1, 1, 1 (the gap counts as a step); median(x) 2, median index 1
      t.same(senSlope([1, 2, null, 4]), { slope: 1, intercept: 1 })
      // dropping the gap instead would give slopes 1, 3, 2 → 2: not what pymannkendall does
      t.same(senSlope([1, 2, NaN, 4, NaN]).slope, 1)
    },
  )

  t.test('when fewer than 2 values are present, then a RangeError says so', async (t) => {
    t.throws(() => senSlope([null, 3]), {
      name: 'RangeError',
      message: /^senSlope requires at least 2 non-missing values$/,
    })
  })

  t.test(
    'when a series follows a line exactly, then slope and intercept are the line',
    async (t) => {
      fc.assert(
        fc.property(
          fc.integer({ min: -50, max: 50 }),
          fc.integer({ min: -50, max: 50 }),
          fc.integer({ min: 2, max: 40 }),
          (intercept, slope, length) => {
            const line = Array.from({ length }, (_, index) => intercept + slope * index)
            const fitted = senSlope(line)
            return fitted.slope === slope && fitted.intercept === intercept
          },
        ),
        propertyRuns,
      )
      t.pass('exact lines recovered')
    },
  )

  t.test('when the input is frozen, then it is not mutated', async (t) => {
    const series = Object.freeze([5, null, 2, 8])
    t.doesNotThrow(() => senSlope(series))
    t.same(series, [5, null, 2, 8])
  })
})
