import t from 'tap'
import fc from 'fast-check'
import { areaDid, type DidWideUnit } from '../../../../models/effects/did/index.js'
import { describeGap, withinAbsolute } from '../../../support/tolerance.js'
import { readMpdta, readMpdtaExpected } from './mpdta.js'

/**
 * mpdta wide (lemp per year 2003–2007), keeping the never-treated counties and the cohorts
 * asked for, restricted to the years asked for.
 */
function mpdtaWide(cohorts: readonly number[], years: readonly number[]) {
  const byUnit = new Map<string, { group: number; outcomes: number[] }>()
  for (const row of readMpdta()) {
    if (row.group !== 0 && !cohorts.includes(row.group)) continue
    const position = years.indexOf(row.time)
    if (position < 0) continue
    const unit = byUnit.get(row.unit) ?? { group: row.group, outcomes: [] }
    unit.outcomes[position] = row.outcome
    byUnit.set(row.unit, unit)
  }
  const units: DidWideUnit[] = [...byUnit].map(([unit, { group, outcomes }]) => ({
    unit,
    group,
    outcomes,
  }))
  return { times: [...years], units }
}

const cohortMean = (result: ReturnType<typeof areaDid>, group: number) => {
  const atts = result.effects.filter((entry) => entry.group === group).map((entry) => entry.att)
  return atts.reduce((sum, att) => sum + att, 0) / atts.length
}

/**
 * Tolerance against R did's full-precision values: they carry 15 significant digits (README §1:
 * the CSV behind them was written with 15 digits, and the 2×2 of means reproduces them to
 * 2.3e-16); our sums cancel log-employment levels near 10, so a few 1e-15 of rounding is
 * expected. 1e-12 absolute leaves room for that and nothing else.
 */
const referenceTolerance = 1e-12

t.test('areaDid', async (t) => {
  t.test('when worked by hand, then each area gets its 2×2 and R lm agrees', async (t) => {
    // Hand-worked panel, times 1–4; controls C1, C2; their mean path C = (2, 3, 4, 7).
    //   unit  g  outcomes        mean after g − mean before g       control change        att
    //   T1    3  (2, 4, 9, 11)   (9+11)/2 − (2+4)/2 = 10 − 3 = 7    (4+7)/2 − (2+3)/2 = 3    4
    //   T2    2  (1, 3, 5, 6)    (3+5+6)/3 − 1 = 14/3 − 1 = 11/3    14/3 − 2 = 8/3           1
    //   C1    0  (1, 2, 3, 4)
    //   C2    0  (3, 4, 5, 10)
    // R 4.2.2 (Rscript), the interaction of the two-group, two-period regression of each unit
    // with the controls, which on a balanced panel is the same difference of means:
    //   d <- data.frame(unit = rep(c("T1","T2","C1","C2"), each = 4), t = rep(1:4, 4),
    //     y = c(2,4,9,11, 1,3,5,6, 1,2,3,4, 3,4,5,10))
    //   fit <- function(u, g) { s <- subset(d, unit %in% c(u, "C1", "C2"))
    //     s$treated <- s$unit == u; s$post <- s$t >= g
    //     coef(lm(y ~ treated * post, data = s))[["treatedTRUE:postTRUE"]] }
    //   c(T1 = fit("T1", 3), T2 = fit("T2", 2))
    //   #>                  T1                  T2
    //   #> 3.99999999999999467 0.99999999999999967
    const result = areaDid({
      times: [1, 2, 3, 4],
      units: [
        { unit: 'T1', group: 3, outcomes: [2, 4, 9, 11] },
        { unit: 'T2', group: 2, outcomes: [1, 3, 5, 6] },
        { unit: 'C1', group: 0, outcomes: [1, 2, 3, 4] },
        { unit: 'C2', group: 0, outcomes: [3, 4, 5, 10] },
      ],
    })
    t.equal(result.controlCount, 2)
    t.same(
      result.effects.map((entry) => [entry.unit, entry.group]),
      [
        ['T1', 3],
        ['T2', 2],
      ],
    )
    const [t1, t2] = result.effects
    // by hand: exact 4 and 1; R prints them to 17 significant digits
    t.ok(withinAbsolute(t1.att, 4, referenceTolerance), describeGap(t1.att, 4))
    t.ok(withinAbsolute(t2.att, 1, referenceTolerance), describeGap(t2.att, 1))
    t.ok(withinAbsolute(t1.att, 3.99999999999999467, referenceTolerance), 'T1 as R lm')
    t.ok(withinAbsolute(t2.att, 0.99999999999999967, referenceTolerance), 'T2 as R lm')
  })

  t.test(
    'when a cohort is on its periods g − 1 and g of mpdta, then its mean att is R did ATT(g,g)',
    async (t) => {
      // Like for like: with one pre-period (g − 1) and one post-period (g) the long 2×2 is the
      // short 2×2 of R did, and the mean of per-county 2×2s over a cohort is the cohort's mean
      // change minus the controls' mean change, ATT(g,g).
      const expected = readMpdtaExpected().att_gt
      for (const group of [2004, 2006, 2007]) {
        const result = areaDid(mpdtaWide([group], [group - 1, group]))
        const reference = expected.find((cell) => cell.group === group && cell.t === group)!
        // R did 2.5.x att_gt(lemp ~ 1, nevertreated, varying, bstrap = FALSE), ref_attgt.csv
        // (../shared/reference/README.md §1)
        t.ok(
          withinAbsolute(cohortMean(result, group), reference.att, referenceTolerance),
          `ATT(${group},${group}) ${describeGap(cohortMean(result, group), reference.att)}`,
        )
      }
    },
  )

  t.test(
    'when run on all of mpdta, then each cohort mean equals R did cells recombined',
    async (t) => {
      // Not like for like on the full panel: areaDid compares the mean of all post-periods with
      // the mean of ALL pre-periods, R did's post cells use the one base g − 1. With D_t the
      // cohort-minus-control mean gap in year t, R's cells are ATT(g,t) = D_t − D_(g−1) for
      // t ≥ g and the short differences D_t − D_(t−1) for t < g (base "varying"), while the
      // cohort mean of areaDid is mean_(t≥g) D_t − mean_(t<g) D_t. Hence
      //   cohort mean = mean_(t≥g) ATT(g,t) + (1 / #pre) Σ_(t<g) Σ_(t<s<g) ATT(g,s),
      // where the first term is R's group aggregation aggte(type = "group") for g. For 2004 the
      // only pre-year is 2003 = g − 1 and the cohort mean is the group aggregate itself.
      const reference = readMpdtaExpected()
      const cell = (group: number, year: number) =>
        reference.att_gt.find((entry) => entry.group === group && entry.t === year)!.att
      const years = [2003, 2004, 2005, 2006, 2007]
      const result = areaDid(mpdtaWide([2004, 2006, 2007], years))
      for (const group of [2004, 2006, 2007]) {
        const groupAggregate = reference.aggte.group.by.find((entry) => entry.egt === group)!.att
        const preYears = years.filter((year) => year < group)
        let preTerm = 0
        for (const year of preYears) {
          for (let later = year + 1; later < group; later++) preTerm += cell(group, later)
        }
        const expected = groupAggregate + preTerm / preYears.length
        // R did 2.5.x ref_attgt.csv and ref_aggte.csv, group aggregation (README §1)
        t.ok(
          withinAbsolute(cohortMean(result, group), expected, referenceTolerance),
          `cohort ${group} ${describeGap(cohortMean(result, group), expected)}`,
        )
      }
    },
  )

  t.test('when an effect is planted on parallel paths, then it is recovered', async (t) => {
    // Known truth: each treated path is a control-like path shifted by a level, plus `effect`
    // from its start on; the level cancels in the difference and the effect remains.
    const times = [0, 1, 2, 3, 4, 5]
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 0.2, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), {
          minLength: 2,
          maxLength: 5,
        }),
        fc.array(
          fc.record({
            start: fc.integer({ min: 1, max: 5 }),
            level: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
            effect: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (common, controlLevels, plans) => {
          const units: DidWideUnit[] = controlLevels.map((level, index) => ({
            unit: `C${index}`,
            group: 0,
            outcomes: common.map((value) => value + level),
          }))
          plans.forEach((plan, index) =>
            units.push({
              unit: `T${index}`,
              group: plan.start,
              outcomes: common.map(
                (value, time) => value + plan.level + (time >= plan.start ? plan.effect : 0),
              ),
            }),
          )
          const result = areaDid({ times, units })
          return result.effects.every((entry, index) =>
            withinAbsolute(entry.att, plans[index].effect, referenceTolerance),
          )
        },
      ),
      { numRuns: 300, seed: 21 },
    )
    t.pass('property held')
  })

  t.test('when the panel is frozen, then it is read and not changed', async (t) => {
    const panel = mpdtaWide([2006], [2004, 2005, 2006, 2007])
    const before = JSON.stringify(panel)
    const frozen = Object.freeze({
      times: Object.freeze(panel.times),
      units: Object.freeze(
        panel.units.map((unit) =>
          Object.freeze({ ...unit, outcomes: Object.freeze([...(unit.outcomes as number[])]) }),
        ),
      ),
    })
    areaDid(frozen)
    t.equal(JSON.stringify(frozen), before)
  })

  t.test('when the panel cannot give a 2×2, then it throws naming the rule', async (t) => {
    const control = { unit: 'C', group: 0, outcomes: [1, 2, 3] }
    const treated = { unit: 'T', group: 2, outcomes: [1, 2, 3] }
    t.throws(() => areaDid({ times: [1, 2, 3], units: [treated] }), {
      message: /areaDid requires at least one never-treated unit/,
    })
    t.throws(() => areaDid({ times: [1, 2, 3], units: [{ ...treated, group: 1 }, control] }), {
      message: /areaDid requires a group after the first and at most the last period/,
    })
    t.throws(() => areaDid({ times: [1, 3, 4], units: [treated, control] }), {
      message: /areaDid requires at least two times, ascending consecutive integers/,
    })
    t.throws(
      () =>
        areaDid({
          times: [1, 2, 3],
          units: [{ ...treated, outcomes: [1, Number.NaN, 3] }, control],
        }),
      { message: /areaDid requires finite outcomes, unit T has NaN in period 2/ },
    )
    t.throws(
      () => areaDid({ times: [1, 2, 3], units: [{ ...treated, outcomes: [1, 2] }, control] }),
      {
        message: /areaDid requires one outcome per period, unit T has 2 of 3/,
      },
    )
  })
})
