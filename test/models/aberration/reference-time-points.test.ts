import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import fc from 'fast-check'
import { referenceTimePoints } from '../../../models/aberration/reference-time-points.js'

const casesPath = fileURLToPath(
  new URL('../../../../shared/reference/aberration_cases.json', import.meta.url),
)
const cases = JSON.parse(readFileSync(casesPath, 'utf8')) as {
  farrington_unit_cases: {
    reference_time_points: {
      cases: { dayToConsider: number | string; b: number; freq: number; expected?: number[] }[]
    }
  }
}

t.test('referenceTimePoints', async (t) => {
  t.test('when the published non-date case is asked, then it returns k, k − freq, …', async (t) => {
    // Source: aberration_cases.json farrington_unit_cases.reference_time_points (surveillance
    // 1.26 tests/testthat/test-farringtonFlexible.R): (48, b = 3, freq = 12) → 48, 36, 24, 12.
    const published = cases.farrington_unit_cases.reference_time_points.cases[0]
    const { points } = referenceTimePoints(Number(published.dayToConsider), {
      b: published.b,
      frequency: published.freq,
    })
    t.same(points, published.expected)
  })

  t.test(
    'when b = 5, w = 1 on quarters, then the window is 15 quarters around past k',
    async (t) => {
      // Source: R 1.20.3, which(!is.na(blocksID)) inside algo.farrington.data.glm for k = 23
      // (1-based) of a 40-quarter sts: 2 3 4 6 7 8 10 11 12 14 15 16 18 19 20; 0-based below.
      const { window } = referenceTimePoints(22, { b: 5, frequency: 4, w: 1 })
      t.same(window, [1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, 17, 18, 19])
      // Source: Farrington (README blocks note): b·(2w + 1) points when windows do not overlap.
      t.equal(window.length, 5 * 3)
    },
  )

  t.test('when pastPeriodsNotIncluded is below w, then recent quarters of k enter', async (t) => {
    // Source: R blocks(): vectorOfFactors[(now − w):now] <- p, then (k − pWNI):k set to NA.
    const { window } = referenceTimePoints(10, {
      b: 2,
      frequency: 4,
      w: 2,
      pastPeriodsNotIncluded: 0,
    })
    t.same(window, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  t.test('when the history is too short, then it throws naming the rule', async (t) => {
    t.throws(() => referenceTimePoints(20, { b: 5, frequency: 4, w: 1 }), {
      name: 'RangeError',
      message: /referenceTimePoints requires index ≥ b × frequency \+ w/,
    })
    t.throws(() => referenceTimePoints(30, { b: 5, frequency: 4, w: 4 }), {
      message: /referenceTimePoints requires w below frequency/,
    })
  })

  t.test(
    'when any valid arguments are given, then the window excludes k and stays in the past',
    async (t) => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 0, max: 11 }),
          fc.integer({ min: 0, max: 30 }),
          (b, frequency, wRaw, extra) => {
            const w = wRaw % frequency
            const index = b * frequency + w + extra
            const { points, window } = referenceTimePoints(index, { b, frequency, w })
            return (
              points.length === b + 1 &&
              window.every(
                (position, i) => position < index - w && (i === 0 || position > window[i - 1]),
              ) &&
              window[0] === index - b * frequency - w
            )
          },
        ),
      )
      t.pass('property held')
    },
  )
})
