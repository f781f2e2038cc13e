import t from 'tap'
import fc from 'fast-check'
import {
  computeAttGt,
  preprocessDid,
  preprocessDidWide,
  type DidPanelRow,
  type DidWidePanel,
} from '../../../../models/effects/did/index.js'
import { readMpdta } from './mpdta.js'
import { withinAbsolute } from '../../../support/tolerance.js'

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
            return atts.every((att, index) => withinAbsolute(att, reference[index], 1e-12))
          },
        ),
        { numRuns: 20, seed: 7 },
      )
      t.pass('property held')
    },
  )
})

/** The long rows as a wide panel: one series per unit over every period, NaN where a row is absent. */
function widen(rows: readonly DidPanelRow[]): DidWidePanel {
  const timeValues = rows.map((row) => row.time)
  const first = Math.min(...timeValues)
  const times = Array.from({ length: Math.max(...timeValues) - first + 1 }, (_, t) => first + t)
  const units = new Map<string, { unit: string; outcomes: number[]; group: number }>()
  for (const row of rows) {
    let entry = units.get(row.unit)
    if (!entry) {
      entry = { unit: row.unit, outcomes: times.map(() => Number.NaN), group: row.group }
      units.set(row.unit, entry)
    }
    entry.outcomes[row.time - first] = row.outcome
  }
  return { times, units: [...units.values()].reverse() }
}

t.test('preprocessDidWide', async (t) => {
  t.test('when mpdta is given wide, then the params equal those of the long rows', async (t) => {
    const long = preprocessDid(readMpdta())
    const wide = preprocessDidWide(widen(readMpdta()))
    t.same(wide.unitIds, long.unitIds)
    t.same(wide.times, long.times)
    t.same(wide.cohorts, long.cohorts)
    t.same(wide.cohortSizes, long.cohortSizes)
    t.equal(wide.neverTreatedCount, long.neverTreatedCount)
    t.same(wide.warnings, long.warnings)
    t.ok(
      wide.outcomes.every((value, index) => Object.is(value, long.outcomes[index])),
      'outcomes identical',
    )
    t.ok(wide.unitGroups.every((value, index) => value === long.unitGroups[index]))
  })

  t.test('when a unit misses a period or is recoded, then the warnings are the same', async (t) => {
    const rows = [
      ...tiny,
      { unit: 'c', time: 1, outcome: 3, group: 0 },
      { unit: 'd', time: 1, outcome: 3, group: 9 },
      { unit: 'd', time: 2, outcome: 3, group: 9 },
    ]
    const wide = preprocessDidWide(widen(rows))
    t.same(wide.unitIds, ['a', 'b', 'd'])
    t.same(wide.warnings, preprocessDid(rows).warnings)
  })

  t.test('when the input is bad, then the errors name function, rule and fix', async (t) => {
    const panel = widen(tiny)
    t.throws(() => preprocessDidWide({ times: [1, 2], units: [] }), {
      message: /preprocessDidWide requires a non-empty array/,
    })
    t.throws(() => preprocessDidWide({ ...panel, times: [1, 3] }), {
      message: /preprocessDidWide requires consecutive integer periods/,
    })
    t.throws(() => preprocessDidWide({ ...panel, units: [...panel.units, panel.units[0]] }), {
      message: /preprocessDidWide requires one series per unit/,
    })
    t.throws(
      () => preprocessDidWide({ ...panel, units: [{ unit: 'e', outcomes: [1], group: 0 }] }),
      { message: /preprocessDidWide requires one outcome per period/ },
    )
    t.throws(
      () =>
        preprocessDidWide({ ...panel, units: panel.units.map((unit) => ({ ...unit, group: 2 })) }),
      { message: /preprocessDidWide requires at least one never-treated unit/ },
    )
  })

  t.test('when the panel is frozen, then preprocessing does not mutate it', async (t) => {
    const panel = widen(readMpdta())
    const frozen = Object.freeze({
      times: Object.freeze(panel.times),
      units: Object.freeze(panel.units.map((unit) => Object.freeze(unit))),
    })
    t.doesNotThrow(() => computeAttGt(preprocessDidWide(frozen)))
  })
})
