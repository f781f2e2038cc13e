import t from 'tap'
import type { AlertInput, AreaSeriesInput, RiskInput } from '../../../monitors/rules/alert-input.js'
import { evaluateRule, type RuleToEvaluate } from '../../../monitors/rules/evaluate-rule.js'
import { explainAlert } from '../../../monitors/rules/explanation.js'
import {
  defaultParams,
  resolveRuleParams,
  type AlertKind,
} from '../../../monitors/rules/rule-params.js'
import { quarters48, seededRandom, shapedRows, type Shape } from '../../support/alert-fixtures.js'
import { viewerExplanationStyle } from '../../../services/domain/alert-disclosure.js'

function areaOf(code: string, shape: Shape, seed: number, length = 48): AreaSeriesInput {
  const rows = shapedRows(code, shape, seededRandom(seed), quarters48.slice(0, length))
  const column = (name: keyof (typeof rows)[number]) =>
    rows.map((row) => row[name] as number | null)
  return {
    area_code: code,
    area_name: null,
    municipality_code: `GM${code.slice(2, 6)}`,
    youth_population: column('youth_population'),
    drug_offence_suspects: column('drug_offence_suspects'),
    early_school_leavers: column('early_school_leavers'),
    halt_registrations: column('halt_registrations'),
    parental_debt: column('parental_debt'),
  }
}

function inputOf(areas: AreaSeriesInput[], risk?: RiskInput): AlertInput {
  return {
    periods: quarters48.slice(0, areas[0].youth_population.length),
    areas,
    riskByHorizon: new Map(risk ? [[0, risk]] : []),
  }
}

function rule(
  kind: AlertKind,
  params: Record<string, unknown> = {},
  municipality: string | null = null,
) {
  return {
    id: 'rule',
    kind,
    params: resolveRuleParams(kind, params),
    municipality,
  } as RuleToEvaluate
}

const code = (index: number) =>
  `BU0518${String(1 + Math.floor(index / 50)).padStart(2, '0')}${String(index % 50).padStart(2, '0')}`

t.test('evaluateRule', async (t) => {
  for (const [kind, shape] of [
    ['aberration', 'spike'],
    ['yoy_rise', 'yoy'],
    ['trend', 'trend'],
  ] as const) {
    t.test(`when a ${shape} series is among stable ones, then ${kind} fires on it`, async (t) => {
      const areas = [
        areaOf(code(0), shape, 1),
        ...Array.from({ length: 30 }, (_, i) => areaOf(code(i + 1), 'stable', 100 + i)),
      ]
      const evaluation = evaluateRule(rule(kind), inputOf(areas), [])
      const decision = evaluation.fire.find((candidate) => candidate.area_code === code(0))
      t.ok(decision, `${kind} fired on the ${shape} series`)
      // The statistic's false-alarm rate at alpha (BH-controlled for yoy_rise) bounds the rest.
      t.ok(evaluation.fire.length <= 1 + Math.ceil(30 * 0.1), `${evaluation.fire.length} fired`)
      const finding = decision!.finding!
      t.equal(finding.period, '2024Q4')
      t.ok(finding.value !== null && finding.threshold !== null)
      t.match(explainAlert(finding.facts), /2024Q4/)
    })
    t.test(`when the same series stays stable, then ${kind} stays quiet`, async (t) => {
      const twin = areaOf(code(0), 'stable', 1)
      const constant: AreaSeriesInput = {
        ...twin,
        area_code: code(1),
        drug_offence_suspects: twin.drug_offence_suspects.map(() => 10),
        parental_debt: twin.parental_debt.map(() => 80),
      }
      t.same(evaluateRule(rule(kind), inputOf([twin, constant]), []).fire, [])
    })
  }

  t.test(
    'when an aberration fires, then its explanation names count, expected, bound and baseline years',
    async (t) => {
      const areas = [areaOf(code(0), 'spike', 1)]
      const [decision] = evaluateRule(rule('aberration'), inputOf(areas), []).fire
      const facts = decision.finding!.facts
      t.equal(facts.kind, 'aberration')
      t.match(
        explainAlert(facts),
        /^\d+ young suspects in 2024Q4 against \d+\.\d expected, threshold \d+\.\d from 2019–2023/,
      )
    },
  )

  t.test(
    'when the national set is stable, then the share firing yoy_rise is at most q',
    async (t) => {
      const areas = Array.from({ length: 1500 }, (_, i) => {
        const area = areaOf(code(i), 'stable', 10_000 + i)
        return {
          ...area,
          area_code: `BU${String(1000 + Math.floor(i / 20)).padStart(4, '0')}01${String(i % 20).padStart(2, '0')}`,
          municipality_code: `GM${String(1000 + Math.floor(i / 20)).padStart(4, '0')}`,
        }
      })
      for (const q of [0.05, 0.2]) {
        const evaluation = evaluateRule(
          rule('yoy_rise', { q, min_relative_rise: 0 }),
          inputOf(areas),
          [],
        )
        t.ok(evaluation.fire.length / areas.length <= q, `q ${q}: ${evaluation.fire.length} fired`)
      }
    },
  )

  t.test('when a count is below min_count, then nothing fires', async (t) => {
    const areas = [areaOf(code(0), 'spike', 1)]
    const observed = areas[0].drug_offence_suspects.at(-1)!
    t.same(
      evaluateRule(rule('aberration', { min_count: observed + 1 }), inputOf(areas), []).fire,
      [],
    )
  })

  t.test(
    'when consecutive is 2 and only the last quarter trips, then it does not fire',
    async (t) => {
      const areas = [areaOf(code(0), 'spike', 1)]
      t.same(evaluateRule(rule('aberration', { consecutive: 2 }), inputOf(areas), []).fire, [])
      const yoy = [
        areaOf(code(0), 'yoy', 1),
        ...Array.from({ length: 10 }, (_, i) => areaOf(code(i + 1), 'stable', 40 + i)),
      ]
      const twice = evaluateRule(rule('yoy_rise', { consecutive: 2 }), inputOf(yoy), [])
      t.same(
        twice.fire.map((d) => d.area_code),
        [code(0)],
      )
      t.ok(twice.fire[0].hitStreak >= 2)
    },
  )

  t.test(
    'hysteresis: an open alert resolves only after clear_quarters clear quarters',
    async (t) => {
      const stable = areaOf(code(0), 'stable', 7)
      const open = [{ id: 'alert-1', area_code: code(0) }]
      const evaluation = evaluateRule(
        rule('aberration', { clear_quarters: 2 }),
        inputOf([stable]),
        open,
      )
      t.same(
        evaluation.resolve.map((d) => d.alertId),
        ['alert-1'],
      )
      t.equal(evaluation.resolve[0].clearStreak, 2)
      // The spike quarter followed by one clear quarter: still open with clear_quarters 2.
      const spikeThenCalm = areaOf(code(0), 'spike', 1)
      const extended: AreaSeriesInput = {
        ...spikeThenCalm,
        youth_population: [...spikeThenCalm.youth_population.slice(1), 1000],
        drug_offence_suspects: [...spikeThenCalm.drug_offence_suspects.slice(1), 10],
        early_school_leavers: [...spikeThenCalm.early_school_leavers.slice(1), 40],
        halt_registrations: [...spikeThenCalm.halt_registrations.slice(1), 20],
        parental_debt: [...spikeThenCalm.parental_debt.slice(1), 80],
      }
      const kept = evaluateRule(
        rule('aberration', { clear_quarters: 2 }),
        inputOf([extended]),
        open,
      )
      t.same(
        kept.keep.map((d) => d.alertId),
        ['alert-1'],
      )
      t.equal(kept.keep[0].clearStreak, 1)
      const resolvedAtOne = evaluateRule(
        rule('aberration', { clear_quarters: 1 }),
        inputOf([extended]),
        open,
      )
      t.same(
        resolvedAtOne.resolve.map((d) => d.alertId),
        ['alert-1'],
      )
    },
  )

  t.test('risk_percentile fires on the top p% of the stored percentiles, in scope', async (t) => {
    const areas = Array.from({ length: 20 }, (_, i) => areaOf(code(i), 'stable', 900 + i))
    const byArea = new Map(
      areas.map((area, i) => {
        const percentile = ((i + 1) / 20) * 100
        return [
          area.area_code,
          {
            risk: [0.01 * (i + 1)],
            percentile: [percentile],
            rank: [20 - i],
            percentile_national: [percentile],
            rank_national: [20 - i],
          },
        ]
      }),
    )
    const risk: RiskInput = {
      run_id: 'run',
      horizon_quarters: 0,
      periods: ['2024Q4'],
      byArea,
      municipalitySizes: new Map([['GM0518', [20]]]),
      nationalSizes: [20],
    }
    const evaluation = evaluateRule(rule('risk_percentile', {}, 'GM0518'), inputOf(areas, risk), [])
    t.same(evaluation.fire.map((d) => d.area_code).sort(), [code(18), code(19)])
    t.match(explainAlert(evaluation.fire[0].finding!.facts), /ranks \d of 20 in GM0518/)
    const other = evaluateRule(rule('risk_percentile', {}, 'GM0599'), inputOf(areas, risk), [])
    t.same(other.fire, [])
  })

  t.test('a viewer explanation never shows a count below the minimum cell', async (t) => {
    const facts = {
      kind: 'aberration' as const,
      period: '2024Q4',
      observed: 9,
      expected: 3.1,
      upperbound: 7.4,
      baseline_from: 2019,
      baseline_to: 2023,
      population: 400,
      predictor: {
        predictor: 'parental_debt' as const,
        relative_change: 0.4,
        count: 30,
        count_prev_year: 21,
        population: 1600,
      },
    }
    t.equal(
      explainAlert(facts),
      '9 young suspects in 2024Q4 against 3.1 expected, threshold 7.4 from 2019–2023; parental debt up 40% year over year',
    )
    const viewer = explainAlert(
      facts,
      viewerExplanationStyle({ minCell: 10, roundTo: 5, minBase: 50 }),
    )
    t.notMatch(viewer, /\b9\b/)
    t.match(viewer, /^fewer than 10 young suspects in 2024Q4/)
  })

  t.test('parameters: defaults filled in, bad values rejected with the rule named', async (t) => {
    t.same(resolveRuleParams('trend'), defaultParams.trend)
    t.throws(
      () => resolveRuleParams('yoy_rise', { q: 2 }),
      /q must be a number above 0 and below 1/,
    )
    t.throws(() => resolveRuleParams('trend', { p: 10 }), /trend has no parameter p/)
  })
})
