import t from 'tap'
import {
  fitPlaceboPool,
  placeboFits,
  resolvePool,
} from '../../../../models/effects/synthetic-control/placebo-pool.js'
import { fitSyntheticControl } from '../../../../models/effects/synthetic-control/fit-synthetic-control.js'
import { prepareSyntheticControl } from '../../../../models/effects/synthetic-control/prepare-synthetic-control.js'
import { defaultPredictorSpecs } from '../../../../models/effects/synthetic-control/default-predictors.js'
import type {
  SyntheticControlPanel,
  SyntheticControlParams,
} from '../../../../models/effects/synthetic-control/synthetic-control-params.js'
import { mulberry32 } from '../../../../models/stats/seeded-random.js'
import { predictors } from '../../../../models/vocabulary/indicators.js'
import { describeGap, withinAbsolute } from '../../../support/tolerance.js'

/**
 * A small quarterly panel built here: 12 quarters (0–11), the intervention from quarter 8, six
 * never-treated neighbourhoods (BU01…BU06) forming the pool and one treated one (T01). Each
 * series is a level, a slope and seeded noise in outcome-rate units (proportions); covariates
 * are the predictors' rates of the vocabulary. T01 copies BU03's series exactly, so a placebo of
 * BU03 that took T01 as a donor would fit perfectly (gap 0): a pre-MSPE clearly above 0 shows the
 * treated unit stayed out of the placebo's donors.
 */
const times = Array.from({ length: 12 }, (_, index) => index)
const treatmentStart = 8
const poolIds = ['BU01', 'BU02', 'BU03', 'BU04', 'BU05', 'BU06']
/** Variance of the uniform outcome noise of width 0.002: 0.002² / 12. */
const noiseVariance = 0.002 ** 2 / 12
/** A fit from an identical donor reproduces the path up to float64 rounding of the weights. */
const exactFit = 1e-12

function smallPanel(): SyntheticControlPanel {
  const random = mulberry32(20240801)
  const series = (level: number, slope: number, noise: number) =>
    times.map((time) => level + slope * time + noise * (random() - 0.5))
  const units = poolIds.map((id, position) => ({
    id,
    outcome: series(0.01 + 0.002 * position, 0.0002 * (position - 2), 0.002),
    covariates: Object.fromEntries(
      predictors.map((predictor, index) => [
        predictor.rate,
        series(0.05 + 0.01 * index + 0.003 * position, 0, 0.004),
      ]),
    ),
    population: 1000 + 100 * position,
  }))
  const copied = units[2]
  return { times, units: [...units, { ...copied, id: 'T01', population: 5000 }] }
}

function prepared(): SyntheticControlParams {
  const panel = smallPanel()
  return prepareSyntheticControl(panel, {
    predictors: defaultPredictorSpecs(
      times,
      treatmentStart,
      predictors.map((predictor) => predictor.rate),
      2,
    ),
    treatmentStart,
    maxEvaluations: 60,
  })
}

t.test('resolvePool', async (t) => {
  const params = prepared()

  t.test(
    'when identifiers are given in any order, then their indices come back ascending',
    async (t) => {
      // unitIds are sorted by code point: BU01…BU06 are 0…5, T01 is 6
      t.same(Array.from(resolvePool(params, ['BU05', 'BU01', 'BU03'], 'caller')), [0, 2, 4])
      t.same(Array.from(resolvePool(params, [], 'caller')), [])
    },
  )

  t.test(
    'when an identifier is not in the panel, then it throws naming caller and id',
    async (t) => {
      t.throws(() => resolvePool(params, ['BU01', 'BU99'], 'fitPlaceboPool'), {
        name: 'RangeError',
        message: 'fitPlaceboPool requires pool members present in the panel, BU99 is not',
      })
    },
  )

  t.test('when an identifier repeats, then it throws naming it', async (t) => {
    t.throws(() => resolvePool(params, ['BU02', 'BU01', 'BU02'], 'someCaller'), {
      name: 'RangeError',
      message: 'someCaller requires distinct pool members, BU02 repeats',
    })
  })

  t.test('when the identifiers are not an array, then it throws a TypeError', async (t) => {
    t.throws(() => resolvePool(params, 'BU01' as unknown as string[], 'someCaller'), {
      name: 'TypeError',
      message: 'someCaller requires an array of pool identifiers',
    })
  })
})

t.test('fitPlaceboPool', async (t) => {
  const params = prepared()
  const outcomesBefore = Float64Array.from(params.outcomes)
  const frozenIds = Object.freeze([...poolIds].reverse())
  const pool = fitPlaceboPool(params, frozenIds)

  t.test('when fitted, then each pool member has exactly one fit, in index order', async (t) => {
    t.equal(pool.params, params)
    t.same(Array.from(pool.members), [0, 1, 2, 3, 4, 5])
    t.same(
      pool.fits.map((fit) => fit.unit),
      [0, 1, 2, 3, 4, 5],
    )
    t.same(
      pool.fits.map((fit) => fit.id),
      poolIds,
    )
    t.same(
      pool.fits.map((fit) => fit.population),
      [1000, 1100, 1200, 1300, 1400, 1500],
    )
  })

  t.test(
    'when a member is fitted, then it equals fitSyntheticControl against the other members',
    async (t) => {
      // the public fit is deterministic, so the two routes agree exactly
      for (const fit of pool.fits) {
        const others = Array.from(pool.members).filter((member) => member !== fit.unit)
        const direct = fitSyntheticControl(params, fit.unit, others)
        t.same(Array.from(fit.gap), Array.from(direct.gap), `${fit.id} gap`)
        t.equal(fit.preMspe, direct.preMspe, `${fit.id} preMspe`)
        t.equal(fit.postMspe, direct.postMspe, `${fit.id} postMspe`)
        t.equal(fit.mspeRatio, direct.mspeRatio, `${fit.id} mspeRatio`)
        t.equal(fit.meanPostGap, direct.meanPostGap, `${fit.id} meanPostGap`)
        t.equal(fit.gap.length, times.length)
      }
    },
  )

  t.test('when the treated unit copies a member, then it never serves as a donor', async (t) => {
    // with T01 (identical to BU03) as a donor, BU03's placebo is fitted with gap 0; without it
    // the pre-MSPE is of the order of the noise variance, 0.002² / 12 ≈ 3.3e-7
    const withTreated = fitSyntheticControl(params, 2, [0, 1, 3, 4, 5, 6])
    t.ok(
      withinAbsolute(withTreated.preMspe, 0, exactFit),
      `with T01 as donor: ${describeGap(withTreated.preMspe, 0)}`,
    )
    const copy = pool.fits.find((fit) => fit.id === 'BU03')!
    t.notOk(withinAbsolute(copy.preMspe, 0, noiseVariance / 100), `BU03 pre-MSPE ${copy.preMspe}`)
  })

  t.test('when fitted, then the inputs are unchanged', async (t) => {
    t.same(Array.from(params.outcomes), Array.from(outcomesBefore))
    t.same(frozenIds, [...poolIds].reverse())
  })

  t.test('when the pool has fewer than 2 members, then it throws naming the fix', async (t) => {
    for (const ids of [['BU01'], []]) {
      t.throws(() => fitPlaceboPool(params, ids), {
        name: 'RangeError',
        message: 'fitPlaceboPool requires at least 2 pool members, enlarge the donor pool',
      })
    }
  })

  t.test('when a pool member is unknown, then it throws naming it', async (t) => {
    t.throws(() => fitPlaceboPool(params, ['BU01', 'XX']), {
      name: 'RangeError',
      message: 'fitPlaceboPool requires pool members present in the panel, XX is not',
    })
  })
})

t.test('placeboFits', async (t) => {
  const params = prepared()

  t.test('when iterated, then it fits one member per step and nothing before', async (t) => {
    // count how often a fit reads the outcome matrix: fitSyntheticControl reads it once per fit,
    // the generator itself never does
    let outcomeReads = 0
    const watched = new Proxy(params, {
      get(target, property, receiver) {
        if (property === 'outcomes') outcomeReads++
        return Reflect.get(target, property, receiver)
      },
    })
    const members = resolvePool(params, poolIds, 'test')
    const fits = placeboFits(watched, members)
    t.equal(outcomeReads, 0, 'no fit before the first step')
    const first = fits.next()
    t.equal(outcomeReads, 1, 'one fit after the first step')
    t.equal(first.done, false)
    t.equal(first.value?.id, 'BU01')
    const second = fits.next()
    t.equal(outcomeReads, 2, 'one more fit after the second step')
    t.equal(second.value?.id, 'BU02')
    const rest = [...fits]
    t.equal(outcomeReads, poolIds.length)
    t.same(
      rest.map((fit) => fit.id),
      poolIds.slice(2),
    )
    t.same(Array.from(members), [0, 1, 2, 3, 4, 5], 'the members array is not mutated')
  })

  t.test('when the generator is made, then a bad pool only fails at the first step', async (t) => {
    // one member leaves no donor: fitSyntheticControl throws, but only once a fit is asked for
    const fits = placeboFits(params, Int32Array.of(0))
    t.throws(() => fits.next(), {
      name: 'RangeError',
      message: 'fitSyntheticControl requires at least one donor, enlarge the donor pool',
    })
  })

  t.test('when collected, then it gives the fits fitPlaceboPool holds', async (t) => {
    const members = resolvePool(params, poolIds, 'test')
    const collected = [...placeboFits(params, members)]
    const pool = fitPlaceboPool(params, poolIds)
    t.equal(collected.length, pool.fits.length)
    collected.forEach((fit, position) => {
      const held = pool.fits[position]
      t.equal(fit.id, held.id)
      t.same(Array.from(fit.gap), Array.from(held.gap))
      t.equal(fit.mspeRatio, held.mspeRatio)
    })
  })
})
