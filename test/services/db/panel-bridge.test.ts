import t from 'tap'
import { Crosswalk, type AreaLink } from '../../../models/geography/crosswalk.js'
import { valueColumns, type ValueColumn } from '../../../models/vocabulary/indicators.js'
import { bridgePanel } from '../../../services/db/panel-bridge.js'
import { PanelBuilder, type PanelArea } from '../../../services/db/snapshot-panel.js'

/**
 * services/db/panel-bridge.ts on Amsterdam's 2022→2023 district changes as the issue quotes
 * them (WK036393 split 36/39/25 %, WK036378 + WK036379 merged into WK0363FB), worked by hand:
 * a 2022 quarter of WK036393 with youth population 1,000 and counts 100, 50, 200, 20 becomes
 * 360/36/18/72/7.2 in WK0363TB, and so on; a 2023 quarter is read as stored.
 */

const link = (from_code: string, to_code: string, weight: number): AreaLink => ({
  from_year: 2022,
  from_code,
  to_year: 2023,
  to_code,
  weight,
})
const crosswalk = new Crosswalk([
  link('WK036393', 'WK0363TB', 0.36),
  link('WK036393', 'WK0363TC', 0.39),
  link('WK036393', 'WK0363TD', 0.25),
  link('WK036378', 'WK0363FB', 1),
  link('WK036379', 'WK0363FB', 1),
])

const area = (area_code: string): PanelArea => ({
  area_code,
  area_name: `Wijk ${area_code.slice(6)}`,
  parent_code: 'GM0363',
  municipality_code: 'GM0363',
})
const stored = ['WK036378', 'WK036379', 'WK036393', 'WK0363FB', 'WK0363TB', 'WK0363TC', 'WK0363TD']

/** base, then the counts in the vocabulary's order */
const row = (...values: (number | null)[]) =>
  Object.fromEntries(valueColumns.map((column, i) => [column, values[i]])) as Record<
    ValueColumn,
    number | null
  >

function amsterdamPanel() {
  const builder = new PanelBuilder(stored.map(area))
  builder.addObject('WK036393', '2022Q4', row(1000, 100, 50, 200, 20))
  builder.addObject('WK036378', '2022Q4', row(400, 10, 5, 40, 4))
  builder.addObject('WK036379', '2022Q4', row(600, 20, null, 60, 6))
  for (const code of ['WK0363TB', 'WK0363TC', 'WK0363TD', 'WK0363FB']) {
    builder.addObject(code, '2023Q1', row(500, 10, 10, 10, 10))
  }
  return builder.build('7')
}

const valuesAt = (panel: ReturnType<typeof bridgePanel>, code: string, period: string) => {
  const cell = panel.areaIndex.get(code)! * panel.periods.length + panel.periodIndex.get(period)!
  return {
    values: valueColumns.map((column) => panel.values[column][cell]),
    present: panel.present[cell],
    bridged: panel.bridged[cell],
    smallestWeight: panel.smallestWeight[cell],
  }
}
const close = (actual: number[], expected: number[]) =>
  actual.length === expected.length &&
  actual.every((value, i) =>
    Number.isNaN(expected[i]) ? Number.isNaN(value) : Math.abs(value - expected[i]) < 1e-9,
  )

t.test('bridgePanel', async (t) => {
  t.test(
    'when read in the 2023 division, then the split district has a 2022 history by its share',
    async (t) => {
      const bridged = bridgePanel(amsterdamPanel(), crosswalk, 2023, area)
      t.same(
        bridged.areas.map((entry) => entry.area_code),
        ['WK0363FB', 'WK0363TB', 'WK0363TC', 'WK0363TD'],
        'the 2023 division only',
      )
      const tb = valuesAt(bridged, 'WK0363TB', '2022Q4')
      t.ok(close(tb.values, [360, 36, 18, 72, 7.2]), `${tb.values}`)
      t.same([tb.present, tb.bridged, tb.smallestWeight], [1, 1, 0.36])
      const td = valuesAt(bridged, 'WK0363TD', '2022Q4')
      t.ok(close(td.values, [250, 25, 12.5, 50, 5]), `${td.values}`)
      const stored2023 = valuesAt(bridged, 'WK0363TB', '2023Q1')
      t.same(stored2023, {
        values: [500, 10, 10, 10, 10],
        present: 1,
        bridged: 0,
        smallestWeight: 1,
      })
      t.equal(bridged.dataVersion, '7')
      t.equal(bridged.geographyYear, 2023)
    },
  )

  t.test(
    'when two districts merged, then the new one sums them; a NULL count stays unknown',
    async (t) => {
      const fb = valuesAt(
        bridgePanel(amsterdamPanel(), crosswalk, 2023, area),
        'WK0363FB',
        '2022Q4',
      )
      t.ok(close(fb.values, [1000, 30, Number.NaN, 100, 10]), `${fb.values}`)
      t.same([fb.present, fb.bridged, fb.smallestWeight], [1, 1, 1])
    },
  )

  t.test('when every share is added up, then no young person or count is lost', async (t) => {
    const panel = amsterdamPanel()
    const bridged = bridgePanel(panel, crosswalk, 2023, area)
    for (const column of valueColumns) {
      const sum = (values: Float64Array) =>
        values.reduce((total, value) => (Number.isNaN(value) ? total : total + value), 0)
      if (column === valueColumns[2]) continue // the NULL count: unknown in the merged district
      t.ok(Math.abs(sum(bridged.values[column]) - sum(panel.values[column])) < 1e-9, column)
    }
  })

  t.test(
    'when read in the 2022 division, then nothing is carried and 2023 rows stay as stored',
    async (t) => {
      const bridged = bridgePanel(amsterdamPanel(), crosswalk, 2022, area)
      t.same(
        bridged.areas.map((entry) => entry.area_code),
        stored,
      )
      t.ok(
        bridged.bridged.every((flag) => flag === 0),
        'nothing bridged',
      )
    },
  )

  t.test('when there are no links, then the panel is the stored one', async (t) => {
    const panel = amsterdamPanel()
    const bridged = bridgePanel(panel, new Crosswalk([]), 2023, area)
    t.same(
      bridged.areas.map((entry) => entry.area_code),
      stored,
    )
    for (const column of valueColumns)
      t.same([...bridged.values[column]], [...panel.values[column]])
  })
})
