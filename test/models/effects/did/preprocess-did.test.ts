import t from 'tap'
import fc from 'fast-check'
import {
  computeAttGt,
  preprocessDid,
  type DidPanelRow,
} from '../../../../models/effects/did/index.js'
import { readMpdta } from './mpdta.js'

const tiny: DidPanelRow[] = [
  { unit: 'a', time: 1, outcome: 1, group: 2 },
  { unit: 'a', time: 2, outcome: 2, group: 2 },
  { unit: 'b', time: 1, outcome: 1, group: 0 },
  { unit: 'b', time: 2, outcome: 1.5, group: 0 },
]

t.test('preprocessDid', async (t) => {
  t.test('when mpdta is given, then 500 units, 5 periods and 3 cohorts are kept', async (t) => {
    const params = preprocessDid(readMpdta())
    // mpdta: 500 counties, 2003–2007, first.treat ∈ {0, 2004, 2006, 2007} (README §1)
    t.equal(params.unitIds.length, 500)
    t.same(params.times, [2003, 2004, 2005, 2006, 2007])
    t.same(params.cohorts, [2004, 2006, 2007])
    // cohort 2004 has only 2003 before it: no pre-trend cell
    t.same(params.warnings, ['cohort 2004 has one pre-period only: no pre-trend check is possible'])
  })

  t.test('when a unit misses a period, then it is dropped with a warning', async (t) => {
    const rows = [...tiny, { unit: 'c', time: 1, outcome: 3, group: 0 }]
    const params = preprocessDid(rows)
    t.same(params.unitIds, ['a', 'b'])
    t.match(params.warnings.join(' '), /dropped 1 unit/)
  })

  t.test(
    'when a group is after the last period, then the unit becomes never treated',
    async (t) => {
      const rows = [
        ...tiny,
        { unit: 'c', time: 1, outcome: 3, group: 9 },
        { unit: 'c', time: 2, outcome: 3, group: 9 },
      ]
      const params = preprocessDid(rows)
      t.equal(params.neverTreatedCount, 2)
      t.match(params.warnings.join(' '), /after the last period/)
    },
  )

  t.test('when the input is bad, then the errors name function, rule and fix', async (t) => {
    t.throws(() => preprocessDid([]), { message: /preprocessDid requires a non-empty array/ })
    t.throws(() => preprocessDid([...tiny, tiny[0]]), {
      message: /preprocessDid requires one row per unit and period/,
    })
    t.throws(
      () => preprocessDid(tiny.map((row) => ({ ...row, group: row.unit === 'b' ? 2 : 2 }))),
      {
        message: /preprocessDid requires at least one never-treated unit/,
      },
    )
    t.throws(() => preprocessDid([...tiny, { unit: 'a', time: 3, outcome: 1, group: 0 }]), {
      message: /preprocessDid requires one group per unit/,
    })
    t.throws(() => preprocessDid(tiny.map((row) => ({ ...row, time: row.time * 2 }))), {
      message: /consecutive integer periods/,
    })
  })

  t.test('when the rows are frozen, then preprocessing does not mutate them', async (t) => {
    const rows = Object.freeze(readMpdta().map((row) => Object.freeze(row)))
    t.doesNotThrow(() => computeAttGt(preprocessDid(rows)))
  })

  t.test(
    'when rows are shuffled, then every ATT(g,t) is unchanged (row-order invariance)',
    async (t) => {
      const rows = readMpdta().slice(0, 600)
      const reference = computeAttGt(preprocessDid(rows)).cells.map((cell) => cell.att)
      fc.assert(
        fc.property(
          fc.array(fc.nat(), { minLength: rows.length, maxLength: rows.length }),
          (keys) => {
            const shuffled = rows
              .map((row, index) => ({ row, key: keys[index] }))
              .sort((a, b) => a.key - b.key)
              .map((entry) => entry.row)
            const atts = computeAttGt(preprocessDid(shuffled)).cells.map((cell) => cell.att)
            return atts.every((att, index) => Math.abs(att - reference[index]) < 1e-12)
          },
        ),
        { numRuns: 20, seed: 7 },
      )
      t.pass('property held')
    },
  )
})
