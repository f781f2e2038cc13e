import t from 'tap'
import {
  estimateSyntheticControl,
  fitPlaceboPool,
  prepareSyntheticControl,
} from '../../../../models/effects/synthetic-control/index.js'
import { describeGap, withinAbsolute } from '../../../support/tolerance.js'
import { readSmoking, smokingPredictors } from './smoking.js'

t.test('estimateSyntheticControl on Proposition 99', async (t) => {
  const panel = readSmoking()
  // a published replication: a larger V-search budget than the service default (see the params doc)
  const params = prepareSyntheticControl(panel, {
    predictors: smokingPredictors,
    treatmentStart: 1989,
    maxEvaluations: 400,
  })
  const donors = params.unitIds.filter((id) => id !== 'California')
  const pool = fitPlaceboPool(params, donors)
  const estimate = estimateSyntheticControl(pool, 'California')

  t.test(
    'when fitted with the README predictors, then the five donor weights are within 0.01 of Table 2',
    async (t) => {
      // ADH 2010 Table 2 (README §2, abs tol 0.01 because V is non-convex)
      const table2: Record<string, number> = {
        Colorado: 0.164,
        Connecticut: 0.069,
        Montana: 0.199,
        Nevada: 0.234,
        Utah: 0.334,
      }
      for (const [state, weight] of Object.entries(table2)) {
        const found = estimate.donors.find((donor) => donor.id === state)?.weight ?? 0
        t.ok(withinAbsolute(found, weight, 0.01), `${state}: ${describeGap(found, weight)}`)
      }
      const others = estimate.donors.filter((donor) => !(donor.id in table2))
      // Table 2: all other donors 0 (tolerance 0.01 each)
      for (const donor of others) t.ok(donor.weight < 0.01, `${donor.id} ${donor.weight}`)
    },
  )

  t.test(
    'when the gaps are averaged over 1989–2000, then the effect is within 0.5 packs of −19.0',
    async (t) => {
      // Stata synth ATT(1989–2000) −19.001767; ADH "almost 20 packs" (README §2), tolerance 0.5 packs
      t.ok(withinAbsolute(estimate.att, -19.0, 0.5), describeGap(estimate.att, -19.0))
      t.equal(estimate.gap.length, 31)
      t.equal(estimate.prePeriodCount, 19)
    },
  )

  t.test('when every donor is a placebo, then California ranks 1 of 39', async (t) => {
    // ADH 2010 / tidysynth / Stata: rank 1 of 39, p = 1/39 = 0.0256 (README §2)
    t.equal(estimate.rank, 1)
    t.equal(pool.fits.length + 1, 39)
    t.ok(withinAbsolute(estimate.pValue, 1 / 39, 1e-12))
  })

  t.test('when the fit is read, then the pre-RMSPE is close to the published 1.76', async (t) => {
    // Stata pre-RMSE 1.7556724 (README §2); ours is another point of a flat V landscape: 2 decimals of tolerance 0.1
    t.ok(
      withinAbsolute(estimate.preRmspe, 1.7556724, 0.1),
      describeGap(estimate.preRmspe, 1.7556724),
    )
    const weightSum = estimate.donors.reduce((sum, donor) => sum + donor.weight, 0)
    t.ok(withinAbsolute(weightSum, 1, 1e-9))
  })

  t.test('when the treated unit is in the pool, then it throws naming the fix', async (t) => {
    t.throws(() => estimateSyntheticControl(pool, 'Utah'), {
      message: /estimateSyntheticControl requires the treated unit outside the donor pool/,
    })
  })
})
