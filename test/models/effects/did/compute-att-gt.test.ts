import t from 'tap'
import { computeAttGt, preprocessDid } from '../../../../models/effects/did/index.js'
import { withinAbsolute, withinRelative, describeGap } from '../../../support/tolerance.js'
import { readMpdta, readMpdtaExpected } from './mpdta.js'

t.test('computeAttGt', async (t) => {
  const result = computeAttGt(preprocessDid(readMpdta()))
  const expected = readMpdtaExpected()

  t.test('when run on mpdta, then all 12 ATT(g,t) match R did to 1e-6', async (t) => {
    t.equal(result.cells.length, 12)
    for (const cell of expected.att_gt) {
      const found = result.cells.find((c) => c.group === cell.group && c.time === cell.t)
      // R did 2.5.x att_gt(lemp ~ 1, nevertreated, varying, bstrap = FALSE), ref_attgt.csv (README §1)
      t.ok(
        found && withinAbsolute(found.att, cell.att, 1e-6),
        `ATT(${cell.group},${cell.t}) ${describeGap(found?.att ?? NaN, cell.att)}`,
      )
    }
  })

  t.test('when run on mpdta, then the analytic SEs are within 1% of R did', async (t) => {
    for (const cell of expected.att_gt) {
      const found = result.cells.find((c) => c.group === cell.group && c.time === cell.t)
      // R did 2.5.x analytic (influence-function) SEs, ref_attgt.csv (README §1)
      t.ok(
        found && withinRelative(found.se, cell.se, 0.01),
        `SE(${cell.group},${cell.t}) ${describeGap(found?.se ?? NaN, cell.se)}`,
      )
    }
  })

  t.test('when a cell is pre-treatment, then its base period is the previous period', async (t) => {
    const pre = result.cells.find((c) => c.group === 2007 && c.time === 2005)
    const post = result.cells.find((c) => c.group === 2006 && c.time === 2007)
    t.equal(pre?.basePeriod, 2004)
    t.equal(post?.basePeriod, 2005)
    t.equal(post?.eventTime, 1)
  })

  t.test(
    'when every cell is inspected, then intervals contain the estimate and p-values lie in 0–1',
    async (t) => {
      for (const cell of result.cells) {
        t.ok(cell.ciLow <= cell.att && cell.att <= cell.ciHigh)
        t.ok(cell.pValue >= 0 && cell.pValue <= 1)
      }
    },
  )

  t.test(
    'when the params hold no never-treated unit, then it throws naming the requirement',
    async (t) => {
      const params = preprocessDid(readMpdta())
      t.throws(() => computeAttGt({ ...params, neverTreatedCount: 0 }), {
        message: /computeAttGt requires at least one never-treated unit/,
      })
    },
  )
})
