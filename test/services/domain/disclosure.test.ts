import t from 'tap'
import {
  discloseForViewer,
  disclosureGuaranteeProblem,
  flagUnreliable,
  roundToMultiple,
  type DisclosureSpec,
} from '../../../services/domain/disclosure.js'

interface Row {
  area_code: string
  period: string
  population: number
  suspects: number | null
  debt: number | null
  suspect_rate: number | null
  ratio: number | null
}

const spec: DisclosureSpec<Row> = {
  basis: 'cells',
  counts: ['suspects', 'debt'],
  populations: ['population'],
  derived: [
    {
      field: 'suspect_rate',
      from: ['suspects'],
      base: (row) => row.population,
      fromRounded: (rounded) =>
        rounded.suspects === null ? null : rounded.suspects / rounded.population,
    },
    {
      field: 'ratio',
      from: ['suspects'],
      fromRounded: (rounded) => (rounded.suspects === null ? null : rounded.suspects / 10),
    },
  ],
  group: (row) => row.period,
  identity: (row) => row.area_code,
}

const thresholds = { minCell: 10, roundTo: 5, minBase: 50 }

function row(
  area: string,
  suspects: number | null,
  population = 200,
  debt: number | null = 40,
): Row {
  return {
    area_code: area,
    period: '2024Q1',
    population,
    suspects,
    debt,
    suspect_rate: suspects === null ? null : suspects / population,
    ratio: suspects === null ? null : suspects / 10,
  }
}

t.test('roundToMultiple', async (t) => {
  t.test('when a value is exactly half way, then it rounds up', async (t) => {
    t.equal(roundToMultiple(12.5, 5), 15)
    t.equal(roundToMultiple(10, 4), 12)
    t.equal(roundToMultiple(12, 5), 10)
    t.equal(roundToMultiple(13, 5), 15)
    t.equal(roundToMultiple(15, 5), 15)
    t.equal(roundToMultiple(7, 1), 7)
  })
})

t.test('discloseForViewer', async (t) => {
  t.test(
    'when counts are 0 to 9, then each is suppressed and listed, with the rate made from it',
    async (t) => {
      for (let count = 0; count <= 9; count += 1) {
        const [out] = discloseForViewer([row('BU00010101', count)], spec, thresholds)
        t.equal(out.suspects, null, `count ${count}`)
        t.equal(out.suspect_rate, null)
        t.equal(out.ratio, null, 'a value that would reveal the count goes with it')
        t.same(out.suppressed, ['ratio', 'suspect_rate', 'suspects'])
      }
    },
  )

  t.test(
    'when counts are 10 or more, then they are rounded to a multiple of 5 and so are the bases of rates',
    async (t) => {
      const [out] = discloseForViewer([row('BU00010101', 12, 203, 13)], spec, thresholds)
      t.equal(out.suspects, 10)
      t.equal(out.debt, 15)
      t.equal(out.population, 205, 'the population is rounded too')
      // issue 14: an exact rate 12/203 with the rounded base gives the exact count back
      t.equal(out.suspect_rate, 10 / 205, 'the rate is the rounded count over the rounded base')
      t.equal(out.ratio, 1, 'every derived value is made from the rounded row')
      t.equal(out.suppressed, undefined)
    },
  )

  t.test(
    'when the base is 0, then the rate is listed as suppressed like any small base',
    async (t) => {
      // a base of 0 told apart from 1 or 2 would pin the count at 0
      const zero = { ...row('BU00010101', 0, 0), suspect_rate: null }
      const [out] = discloseForViewer([zero, row('BU00010102', 0, 2)], spec, thresholds)
      t.same(out.suppressed, ['ratio', 'suspect_rate', 'suspects'])
    },
  )

  t.test('when a count is NULL at the source, then it stays null and is not listed', async (t) => {
    const [out] = discloseForViewer([row('BU00010101', null, 200, null)], spec, thresholds)
    t.equal(out.suspects, null)
    t.equal(out.suppressed, undefined)
  })

  t.test(
    'when the base is below the minimum, then the rate is suppressed though the count is large',
    async (t) => {
      const [out] = discloseForViewer([row('BU00010101', 20, 40)], spec, thresholds)
      t.equal(out.suspects, 20)
      t.equal(out.suspect_rate, null)
      t.same(out.suppressed, ['suspect_rate'])
      t.equal(out.population, 40, 'the population is never suppressed')
    },
  )

  t.test(
    'when exactly one neighbourhood of a district is suppressed, then the next smallest is suppressed too',
    async (t) => {
      const rows = [
        row('BU00010101', 3),
        row('BU00010102', 14),
        row('BU00010103', 11),
        row('BU00010104', 11),
        row('BU00010105', 30),
      ]
      const out = discloseForViewer(rows, spec, thresholds)
      t.same(
        out.map((item) => item.suspects),
        [null, 15, null, 10, 30],
        'the tie at 11 is broken by area code',
      )
      t.same(out[2].suppressed, ['ratio', 'suspect_rate', 'suspects'])
      t.equal(out[1].suppressed, undefined)
      t.same(
        out.map((item) => item.debt),
        [40, 40, 40, 40, 40],
        'other columns are untouched',
      )
    },
  )

  t.test('when two neighbourhoods are already suppressed, then no third is', async (t) => {
    const out = discloseForViewer(
      [row('BU00010101', 3), row('BU00010102', 4), row('BU00010103', 11)],
      spec,
      thresholds,
    )
    t.same(
      out.map((item) => item.suspects),
      [null, null, 10],
    )
  })

  t.test('when groups differ, then secondary suppression stays inside each group', async (t) => {
    const rows = [
      row('BU00010101', 3),
      row('BU00010102', 14),
      { ...row('BU00010101', 12), period: '2024Q2' },
      { ...row('BU00010102', 20), period: '2024Q2' },
    ]
    const out = discloseForViewer(rows, spec, thresholds)
    t.same(
      out.map((item) => item.suspects),
      [null, null, 10, 20],
    )
  })

  t.test('when rows are frozen, then they are not changed', async (t) => {
    const rows = Object.freeze([
      Object.freeze(row('BU00010101', 3)),
      Object.freeze(row('BU00010102', 12)),
    ])
    discloseForViewer(rows, spec, thresholds)
    t.equal(rows[0].suspects, 3)
  })
})

t.test('flagUnreliable', async (t) => {
  t.test(
    'when a rate rests on a small base, then analysts see it exactly with unreliable: true',
    async (t) => {
      const [small, large] = flagUnreliable(
        [row('BU00010101', 3, 40), row('BU00010102', 3, 400)],
        spec,
        thresholds,
      )
      t.equal(small.suspects, 3)
      t.equal(small.suspect_rate, 3 / 40)
      t.equal(small.unreliable, true)
      t.equal(large.unreliable, undefined)
    },
  )
})

t.test('disclosureGuaranteeProblem', async (t) => {
  t.test('when the thresholds are the defaults, then there is no problem', async (t) => {
    t.equal(disclosureGuaranteeProblem({ minCell: 10, roundTo: 5, minBase: 50 }), null)
    t.equal(disclosureGuaranteeProblem({ minCell: 100, roundTo: 5, minBase: 50 }), null)
    t.equal(
      disclosureGuaranteeProblem({ minCell: 0, roundTo: 1, minBase: 0 }),
      null,
      'nothing suppressed',
    )
  })

  t.test('when only 0 is suppressed, then a suppressed count is known', async (t) => {
    t.match(disclosureGuaranteeProblem({ minCell: 1, roundTo: 5, minBase: 50 }), /only 0/)
  })

  t.test('when rounding is to 1 or 2, then a rounded 0 pins the count', async (t) => {
    t.match(disclosureGuaranteeProblem({ minCell: 10, roundTo: 1, minBase: 50 }), /at least 3/)
    t.match(disclosureGuaranteeProblem({ minCell: 10, roundTo: 2, minBase: 50 }), /at least 3/)
  })

  t.test(
    'when minCell - 1 or minCell is alone in its rounding class, then the thresholds are refused',
    async (t) => {
      // with 5: 8 rounds to 10 alone among the counts below minCell 9
      t.match(disclosureGuaranteeProblem({ minCell: 9, roundTo: 5, minBase: 50 }), /8 is alone/)
      // with 5: 12 is alone among the shown counts (12 and up) in rounding to 10
      t.match(disclosureGuaranteeProblem({ minCell: 12, roundTo: 5, minBase: 50 }), /12 is alone/)
    },
  )

  t.test(
    'property: every accepted setting leaves every suppressed count two candidates',
    async (t) => {
      for (let roundTo = 1; roundTo <= 10; roundTo += 1) {
        for (let minCell = 1; minCell <= 30; minCell += 1) {
          const thresholds = { minCell, roundTo, minBase: 50 }
          if (disclosureGuaranteeProblem(thresholds) !== null) continue
          // a primary suppressed count c < minCell: the others below minCell with its rounding
          for (let count = 0; count < minCell; count += 1) {
            const twins = Array.from({ length: minCell }, (_, other) => other).filter(
              (other) => roundToMultiple(other, roundTo) === roundToMultiple(count, roundTo),
            )
            if (twins.length < 2) t.fail(`roundTo ${roundTo} minCell ${minCell}: ${count} alone`)
          }
          // a secondary suppressed count c >= minCell: another at least minCell with its rounding
          for (let count = minCell; count < minCell + 3 * roundTo; count += 1) {
            const twins = Array.from({ length: 4 * roundTo }, (_, step) => minCell + step).filter(
              (other) => roundToMultiple(other, roundTo) === roundToMultiple(count, roundTo),
            )
            if (twins.length < 2) t.fail(`roundTo ${roundTo} minCell ${minCell}: ${count} alone`)
          }
        }
      }
      t.pass('checked roundTo 1–10 × minCell 1–30')
    },
  )
})
