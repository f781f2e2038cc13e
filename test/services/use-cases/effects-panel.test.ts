import t from 'tap'
import {
  buildPanel,
  completeControls,
  isComplete,
  meanOf,
  notEstimable,
  rateSeries,
  readPanel,
  roundedPanel,
  treatedAreasOf,
} from '../../../services/use-cases/effects-panel.js'
import { PanelBuilder, type SnapshotPanel } from '../../../services/db/snapshot-panel.js'
import type { SnapshotsRepository } from '../../../services/repositories/snapshots-repository.js'

/**
 * use-cases/effects-panel.ts (pure, and a cache around the repository's reader): the panel the
 * effects and power use cases estimate on, with its rate series, completeness checks, the
 * rounded panel a viewer's estimate uses, the treated areas an estimate can use (each one left
 * out saying why) and the never-treated controls.
 */

const codes = ['BU05180101', 'BU05180102', 'BU05180103', 'BU05180104']
const areas = codes.map((code) => ({
  area_code: code,
  area_name: null,
  parent_code: 'WK051801',
  municipality_code: 'GM0518',
}))
const periods = ['2022Q1', '2022Q2', '2022Q3', '2022Q4']

/** 0101 complete; 0102 complete; 0103 misses 2022Q3's outcome; 0104 has population 0 in 2022Q2. */
function snapshotPanel(): SnapshotPanel {
  const builder = new PanelBuilder(areas)
  periods.forEach((period, t) => {
    const row = (population: number, suspects: number | null) => ({
      youth_population: population,
      early_school_leavers: 1,
      halt_registrations: 2,
      parental_debt: 3,
      drug_offence_suspects: suspects,
    })
    builder.addObject('BU05180101', period, row(100 + t, 10 + t))
    builder.addObject('BU05180102', period, row(201, 7))
    builder.addObject('BU05180103', period, row(50, t === 2 ? null : 2))
    builder.addObject('BU05180104', period, row(t === 1 ? 0 : 80, t === 1 ? 0 : 4))
  })
  return builder.build('42')
}

t.test('buildPanel and rateSeries', async (t) => {
  t.test(
    'when the shared panel is given, then every area has its population and counts per quarter',
    async (t) => {
      const panel = buildPanel(snapshotPanel())
      t.same(panel.periods, periods)
      t.equal(panel.indexOf.get('2022Q3'), 2)
      t.same([...panel.areas.keys()], codes)
      const first = panel.areas.get('BU05180101')!
      t.same(Array.from(first.population), [100, 101, 102, 103])
      t.same(Array.from(first.counts.drug_offence_suspects), [10, 11, 12, 13])
      t.ok(Number.isNaN(panel.areas.get('BU05180103')!.counts.drug_offence_suspects[2]))
    },
  )

  t.test(
    'when a count is missing or the population is 0, then the rate is NaN, never 0',
    async (t) => {
      const panel = buildPanel(snapshotPanel())
      t.same(rateSeries(panel.areas.get('BU05180101')!, 'drug_offence_suspects'), [
        10 / 100,
        11 / 101,
        12 / 102,
        13 / 103,
      ])
      const gap = rateSeries(panel.areas.get('BU05180103')!, 'drug_offence_suspects')
      t.ok(Number.isNaN(gap[2]))
      t.equal(gap[0], 2 / 50)
      t.ok(Number.isNaN(rateSeries(panel.areas.get('BU05180104')!, 'drug_offence_suspects')[1]))
      t.equal(rateSeries(panel.areas.get('BU05180102')!, 'parental_debt')[0], 3 / 201)
    },
  )
})

t.test('isComplete and meanOf', async (t) => {
  t.test('when a value is NaN or infinite, then the series is not complete', async (t) => {
    t.ok(isComplete([0, 1, 2]))
    t.notOk(isComplete([0, Number.NaN]))
    t.notOk(isComplete([Number.POSITIVE_INFINITY]))
    t.ok(isComplete([]))
  })
  t.test('when a range is given, then the mean is over it alone', async (t) => {
    t.equal(meanOf([1, 2, 3, 10]), 4)
    t.equal(meanOf(new Float64Array([1, 2, 3, 10]), 0, 3), 2)
    t.equal(meanOf([1, 2, 3, 10], 2), 6.5)
  })
})

t.test('roundedPanel', async (t) => {
  t.test(
    'when rounded, then every count and population is a multiple of roundTo, missing values stay missing, the input unchanged',
    async (t) => {
      const panel = buildPanel(snapshotPanel())
      const rounded = roundedPanel(panel, { minCell: 10, roundTo: 5, minBase: 50 })
      const first = rounded.areas.get('BU05180101')!
      t.same(Array.from(first.population), [100, 100, 100, 105])
      // 10, 11, 12, 13 → 10, 10, 10, 15 (12.5 would round up)
      t.same(Array.from(first.counts.drug_offence_suspects), [10, 10, 10, 15])
      t.same(
        Array.from(rounded.areas.get('BU05180102')!.counts.drug_offence_suspects),
        [5, 5, 5, 5],
      )
      t.ok(Number.isNaN(rounded.areas.get('BU05180103')!.counts.drug_offence_suspects[2]))
      t.same(Array.from(panel.areas.get('BU05180101')!.population), [100, 101, 102, 103])
      t.equal(rounded.periods, panel.periods)
    },
  )
})

t.test('treatedAreasOf', async (t) => {
  const panel = buildPanel(snapshotPanel())

  t.test(
    'when a treated area is complete with a pre- and a post-period, then it is used with its start and pre-period population',
    async (t) => {
      const warnings: string[] = []
      const treated = treatedAreasOf(
        panel,
        [
          { area_code: 'BU05180102', start_period: '2022Q3' },
          { area_code: 'BU05180101', start_period: '2022Q3' },
        ],
        'drug_offence_suspects',
        warnings,
      )
      t.same(warnings, [])
      t.same(
        treated.map((area) => [area.code, area.startIndex, area.population]),
        [
          ['BU05180101', 2, 100.5],
          ['BU05180102', 2, 201],
        ],
        'ascending by code; population the mean of 2022Q1–Q2',
      )
      t.same(treated[0].rates, rateSeries(panel.areas.get('BU05180101')!, 'drug_offence_suspects'))
    },
  )

  t.test('when a treated area cannot be used, then it is left out with the reason', async (t) => {
    const warnings: string[] = []
    const treated = treatedAreasOf(
      panel,
      [
        { area_code: 'BU05180109', start_period: '2022Q3' },
        { area_code: 'BU05180101', start_period: '2022Q1' },
        { area_code: 'BU05180102', start_period: '2023Q2' },
        { area_code: 'BU05180103', start_period: '2022Q2' },
      ],
      'drug_offence_suspects',
      warnings,
    )
    t.same(treated, [])
    t.same(warnings, [
      'BU05180109 skipped: no snapshots',
      'BU05180101 skipped: starts at or before the first quarter with data (no pre-period)',
      'BU05180102 skipped: no data from its start 2023Q2 on (no post-period)',
      'BU05180103 skipped: missing drug_offence_suspects or youth population in 2022Q3',
    ])
  })

  t.test(
    'when more than five quarters are missing, then five are named and the rest counted',
    async (t) => {
      const builder = new PanelBuilder(areas.slice(0, 1))
      for (let year = 2020; year < 2023; year += 1) {
        for (let quarter = 1; quarter <= 4; quarter += 1) {
          builder.addObject('BU05180101', `${year}Q${quarter}`, {
            youth_population: 100,
            early_school_leavers: 1,
            halt_registrations: 1,
            parental_debt: 1,
            drug_offence_suspects: year === 2020 ? 1 : null,
          })
        }
      }
      const warnings: string[] = []
      treatedAreasOf(
        buildPanel(builder.build('1')),
        [{ area_code: 'BU05180101', start_period: '2020Q3' }],
        'drug_offence_suspects',
        warnings,
      )
      t.same(warnings, [
        'BU05180101 skipped: missing drug_offence_suspects or youth population in 2021Q1, 2021Q2, 2021Q3, 2021Q4, 2022Q1 and 3 more',
      ])
    },
  )
})

t.test('completeControls', async (t) => {
  t.test(
    'when controls are picked, then excluded areas are skipped and those with gaps counted',
    async (t) => {
      const panel = buildPanel(snapshotPanel())
      const { controls, withGaps } = completeControls(
        panel,
        (code) => code === 'BU05180101',
        'drug_offence_suspects',
      )
      t.same([...controls.keys()], ['BU05180102'])
      t.equal(withGaps, 2, 'BU05180103 (NULL count) and BU05180104 (population 0)')
      const predictors = completeControls(panel, () => false, 'parental_debt')
      t.same([...predictors.controls.keys()], ['BU05180101', 'BU05180102', 'BU05180103'])
    },
  )
})

t.test('notEstimable', async (t) => {
  t.test('when made, then it is a 422 not_estimable with the message', async (t) => {
    t.match(notEstimable('too few donors'), {
      statusCode: 422,
      code: 'not_estimable',
      message: 'too few donors',
    })
  })
})

t.test('readPanel', async (t) => {
  /** A repository whose reader counts its calls and fails when told to. */
  function countingRepository() {
    const state = { reads: 0, fail: false }
    const repository = {
      currentPanel: async () => {
        state.reads += 1
        if (state.fail) throw new Error('database down')
        return snapshotPanel()
      },
    } as unknown as SnapshotsRepository
    return { repository, state }
  }

  t.test(
    'when the same filter and data version are read again, then the panel is read once and shared',
    async (t) => {
      const { repository, state } = countingRepository()
      const [first, second] = await Promise.all([
        readPanel(repository, { municipality: 'GM0518' }, '1'),
        readPanel(repository, { municipality: 'GM0518' }, '1'),
      ])
      t.equal(first, second)
      t.equal(state.reads, 1)
    },
  )

  t.test(
    'when the data version or the filter changes, then the panel is read anew (only the last is kept)',
    async (t) => {
      const { repository, state } = countingRepository()
      await readPanel(repository, {}, '1')
      await readPanel(repository, {}, '2')
      await readPanel(repository, { to: '2022Q3' }, '2')
      await readPanel(repository, {}, '2')
      t.equal(state.reads, 4)
    },
  )

  t.test('when a read fails, then it is not kept and the next read tries again', async (t) => {
    const { repository, state } = countingRepository()
    state.fail = true
    await t.rejects(readPanel(repository, {}, '1'), { message: 'database down' })
    state.fail = false
    const panel = await readPanel(repository, {}, '1')
    t.equal(state.reads, 2)
    t.same(panel.periods, periods)
  })
})
