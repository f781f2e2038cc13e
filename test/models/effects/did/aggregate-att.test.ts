import t from 'tap'
import { aggregateAtt, computeAttGt, preprocessDid } from '../../../../models/effects/did/index.js'
import { describeGap, withinAbsolute, withinRelative } from '../../../support/tolerance.js'
import { readMpdta, readMpdtaExpected } from './mpdta.js'

t.test('aggregateAtt', async (t) => {
  const attGt = computeAttGt(preprocessDid(readMpdta()))
  const expected = readMpdtaExpected()

  for (const type of ['simple', 'dynamic', 'group', 'calendar'] as const) {
    t.test(
      `when aggregating mpdta by ${type}, then estimates match R to 1e-6 and SEs within 1%`,
      async (t) => {
        const result = aggregateAtt(attGt, type)
        const reference = expected.aggte[type]
        // R did 2.5.x aggte(type = "${type}", bstrap = FALSE), ref_aggte.csv (README §1)
        t.ok(
          withinAbsolute(result.overall.att, reference.overall_att, 1e-6),
          describeGap(result.overall.att, reference.overall_att),
        )
        // R did 2.5.x aggte analytic overall SE, weight-estimation term included (README §1)
        t.ok(
          withinRelative(result.overall.se, reference.overall_se, 0.01),
          describeGap(result.overall.se, reference.overall_se),
        )
        t.equal(result.entries.length, reference.by.length)
        for (const entry of reference.by) {
          const found = result.entries.find((e) => e.level === entry.egt)
          // R did 2.5.x aggte per-level att and se, ref_aggte.csv
          t.ok(
            found && withinAbsolute(found.att, entry.att, 1e-6),
            `${type} ${entry.egt} ${describeGap(found?.att ?? NaN, entry.att)}`,
          )
          t.ok(
            found && withinRelative(found.se, entry.se, 0.01),
            `${type} ${entry.egt} se ${describeGap(found?.se ?? NaN, entry.se)}`,
          )
        }
      },
    )
  }

  t.test(
    'when aggregating, then intervals use the pointwise 95% normal critical value',
    async (t) => {
      const result = aggregateAtt(attGt, 'simple')
      // qnorm(0.975) in R = 1.959963984540054
      t.ok(withinAbsolute(result.criticalValue, 1.959963984540054, 1e-12))
      t.ok(
        withinAbsolute(
          result.overall.ciHigh - result.overall.att,
          1.959963984540054 * result.overall.se,
          1e-12,
        ),
      )
    },
  )

  t.test('when the type is unknown, then it throws naming the allowed types', async (t) => {
    t.throws(() => aggregateAtt(attGt, 'weekly' as never), {
      message: /aggregateAtt requires type simple, dynamic, group or calendar/,
    })
  })
})
