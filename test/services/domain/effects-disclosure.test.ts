import t from 'tap'
import {
  countColumns,
  outcomeColumn,
  type CountColumn,
} from '../../../models/vocabulary/indicators.js'
import {
  effectsForViewer,
  minimumTreatedForViewers,
  withheldOutcomeCells,
  type EffectsEstimate,
  type OutcomeCellsPanel,
  type WithheldOutcomeCells,
} from '../../../services/domain/effects-disclosure.js'
import type { AreaEffect } from '../../../services/schemas/interventions.js'

const thresholds = { minCell: 10, roundTo: 5, minBase: 50 }
const periods = ['2023Q1', '2023Q2', '2023Q3', '2023Q4']

/** A neighbourhood with its outcome counts; the other counts are not delivered (NaN). */
function area(outcomeCounts: number[], population: number[]) {
  const missing = new Float64Array(periods.length).fill(Number.NaN)
  return {
    population: Float64Array.from(population),
    counts: Object.fromEntries(
      countColumns.map((column) => [
        column,
        column === outcomeColumn ? Float64Array.from(outcomeCounts) : missing,
      ]),
    ) as Record<CountColumn, Float64Array>,
  }
}

function areaEffect(code: string, start: string, withSeries: boolean): AreaEffect {
  return {
    area_code: code,
    start_period: start,
    att: 0.01,
    p_value: 0.2,
    pre_rmspe: 0.001,
    post_rmspe: 0.003,
    donors: [{ area_code: 'BU05189901', weight: 1 }],
    ...(withSeries
      ? {
          series: periods.map((period) => ({ period, observed: 0.05, synthetic: 0.04 })),
        }
      : {}),
  }
}

function estimate(byArea: AreaEffect[], nTreated = byArea.length): EffectsEstimate {
  return {
    intervention_id: 'a1b2',
    method: 'synthetic_control',
    outcome: outcomeColumn,
    overall: { att: 0.01, ci_low: -0.01, ci_high: 0.03, p_value: 0.3 },
    by_area: byArea,
    event_study: [-1, 0, 1, 2].map((eventTime) => ({
      event_time: eventTime,
      att: 0.01,
      ci_low: 0,
      ci_high: 0.02,
    })),
    n_donors: 1,
    n_pre_periods: 2,
    n_treated: nTreated,
    period_from: periods[0],
    period_to: periods[3],
    warnings: [],
  }
}

const noneWithheld = (codes: string[]): WithheldOutcomeCells => ({
  periods,
  cells: new Map(codes.map((code) => [code, periods.map(() => false)])),
})

t.test('withheldOutcomeCells', async (t) => {
  t.test(
    'when a treated cell is small, has a small base or is the next smallest, then it is withheld',
    async (t) => {
      // thresholds minCell 10, minBase 50. District WK051801: treated BU05180101 has 3 suspects
      // in 2023Q2 (below minCell) and a base of 30 in 2023Q3 (below minBase). District
      // WK051802: BU05180202 has 5 in 2023Q2, so the treated BU05180201 (25, the next smallest
      // of its district that quarter) is suppressed secondarily. WK051803 is no treated area's
      // district and is not read.
      const panel: OutcomeCellsPanel = {
        periods,
        areas: new Map([
          ['BU05180101', area([20, 3, 20, 20], [200, 200, 30, 200])],
          ['BU05180102', area([30, 40, 30, 30], [300, 300, 300, 300])],
          ['BU05180103', area([40, 50, 40, 40], [300, 300, 300, 300])],
          ['BU05180201', area([25, 25, 25, 25], [300, 300, 300, 300])],
          ['BU05180202', area([30, 5, 30, 30], [300, 300, 300, 300])],
          ['BU05180301', area([1, 1, 1, 1], [300, 300, 300, 300])],
        ]),
      }
      const withheld = withheldOutcomeCells(
        panel,
        ['BU05180101', 'BU05180201'],
        outcomeColumn,
        thresholds,
      )
      t.same(withheld.periods, periods)
      t.same(Object.fromEntries(withheld.cells), {
        BU05180101: [false, true, true, false],
        BU05180201: [false, true, false, false],
      })
    },
  )

  t.test('when a treated area has no row in a quarter, then that cell is withheld', async (t) => {
    const panel: OutcomeCellsPanel = {
      periods,
      areas: new Map([['BU05180101', area([20, Number.NaN, 20, 20], [200, 200, 200, 200])]]),
    }
    const withheld = withheldOutcomeCells(panel, ['BU05180101'], outcomeColumn, thresholds)
    t.same(withheld.cells.get('BU05180101'), [false, true, false, false])
  })
})

t.test('effectsForViewer', async (t) => {
  t.test(
    'when an area has a suppressed cell, then it loses att, p_value, rmspe and series and lists them',
    async (t) => {
      const effects = estimate([
        areaEffect('BU05180101', '2023Q3', true),
        areaEffect('BU05180102', '2023Q3', true),
        areaEffect('BU05180103', '2023Q3', true),
      ])
      const withheld = noneWithheld(['BU05180101', 'BU05180102', 'BU05180103'])
      ;(withheld.cells.get('BU05180101') as boolean[])[0] = true
      const viewer = effectsForViewer(effects, withheld)
      const [hidden, shown] = viewer.by_area
      t.same(hidden, {
        area_code: 'BU05180101',
        start_period: '2023Q3',
        att: null,
        p_value: null,
        pre_rmspe: null,
        post_rmspe: null,
        donors: [{ area_code: 'BU05189901', weight: 1 }],
        series: periods.map((period) => ({ period, observed: null, synthetic: null })),
        suppressed: ['att', 'p_value', 'post_rmspe', 'pre_rmspe', 'series'],
      })
      t.equal(shown, effects.by_area[1], 'an area without withheld cells is passed on as is')
    },
  )

  t.test('when an area without a series is withheld, then series is not listed', async (t) => {
    const withheld = noneWithheld(['BU05180101'])
    ;(withheld.cells.get('BU05180101') as boolean[])[3] = true
    const viewer = effectsForViewer(estimate([areaEffect('BU05180101', '2023Q2', false)]), withheld)
    t.same(viewer.by_area[0].suppressed, ['att', 'p_value', 'post_rmspe', 'pre_rmspe'])
    t.notOk('series' in viewer.by_area[0])
  })

  t.test('when an event time is fed by a suppressed cell, then it is withheld', async (t) => {
    // BU05180101 starts 2023Q2 (index 1), BU05180102 2023Q3 (index 2). Only BU05180101's cell in
    // 2023Q3 (index 2) is withheld: it is event time 1 of BU05180101; for BU05180102 index 2 is
    // event time 0, but its own cell there is shown. So event time 1 is withheld, -1, 0 and 2
    // are not (2 reaches BU05180101's index 3 and BU05180102's index 4, outside the panel).
    const withheld = noneWithheld(['BU05180101', 'BU05180102'])
    ;(withheld.cells.get('BU05180101') as boolean[])[2] = true
    const effects = estimate(
      [areaEffect('BU05180101', '2023Q2', false), areaEffect('BU05180102', '2023Q3', false)],
      3,
    )
    const viewer = effectsForViewer(effects, withheld)
    t.same(
      viewer.event_study.map((entry) => [entry.event_time, entry.att]),
      [
        [-1, 0.01],
        [0, 0.01],
        [1, null],
        [2, 0.01],
      ],
    )
    t.same(viewer.event_study[2], {
      event_time: 1,
      att: null,
      ci_low: null,
      ci_high: null,
      suppressed: ['att', 'ci_high', 'ci_low'],
    })
  })

  t.test(
    `when fewer than ${minimumTreatedForViewers} areas are treated, then overall is withheld; at ${minimumTreatedForViewers} it is kept`,
    async (t) => {
      t.equal(minimumTreatedForViewers, 3)
      const codes = ['BU05180101', 'BU05180102', 'BU05180103']
      const three = estimate(codes.map((code) => areaEffect(code, '2023Q3', false)))
      const two = estimate(codes.slice(0, 2).map((code) => areaEffect(code, '2023Q3', false)))
      t.same(effectsForViewer(two, noneWithheld(codes)).overall, {
        att: null,
        ci_low: null,
        ci_high: null,
        p_value: null,
        suppressed: ['att', 'ci_high', 'ci_low', 'p_value'],
      })
      t.same(effectsForViewer(three, noneWithheld(codes)).overall, three.overall)
    },
  )

  t.test(
    'when an area is missing from the withheld cells, then it counts as withheld',
    async (t) => {
      const viewer = effectsForViewer(
        estimate([areaEffect('BU05180101', '2023Q3', false)]),
        noneWithheld([]),
      )
      t.equal(viewer.by_area[0].att, null)
      // start index 2: event times -1, 0 and 1 read indices 1, 2 and 3; 2 reads outside the panel
      t.same(
        viewer.event_study.map((entry) => [entry.event_time, entry.att]),
        [
          [-1, null],
          [0, null],
          [1, null],
          [2, 0.01],
        ],
      )
    },
  )

  t.test('when the estimate is frozen, then it is read and not changed', async (t) => {
    const effects = estimate([areaEffect('BU05180101', '2023Q3', true)], 1)
    const before = JSON.stringify(effects)
    const frozen = Object.freeze({
      ...effects,
      by_area: Object.freeze(effects.by_area.map((entry) => Object.freeze(entry))),
    }) as EffectsEstimate
    const withheld = noneWithheld(['BU05180101'])
    ;(withheld.cells.get('BU05180101') as boolean[])[0] = true
    effectsForViewer(frozen, withheld)
    t.equal(JSON.stringify(frozen), before)
  })
})
