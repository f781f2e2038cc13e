import type { PredictorSpec } from './synthetic-control-params.js'

/**
 * A default predictor specification for a quarterly panel, in the spirit of ADH (2010)'s
 * California set (a few outcome values across the pre-period plus covariate means): the outcome
 * mean over each of `outcomeBlocks` consecutive, equal-as-possible blocks of the pre-period
 * (the last block ends just before the treatment start), and each covariate's mean over the
 * whole pre-period. Few predictors keep the nested V search small (k ≤ blocks + covariates).
 *
 * @param times the panel's periods (consecutive integers)
 * @param treatmentStart first treated period; at least one period precedes it
 * @param covariateNames covariates present on every unit (rates 0–1)
 * @param outcomeBlocks number of outcome blocks, default 4 (fewer when the pre-period is shorter)
 * @returns predictor specifications for {@link prepareSyntheticControl}
 * @throws RangeError when no pre-period exists
 */
export function defaultPredictorSpecs(
  times: readonly number[],
  treatmentStart: number,
  covariateNames: readonly string[] = [],
  outcomeBlocks = 4,
): PredictorSpec[] {
  const first = times[0]
  const preCount = treatmentStart - first
  if (!(preCount >= 1)) {
    throw new RangeError('defaultPredictorSpecs requires at least one period before treatmentStart')
  }
  const blocks = Math.max(1, Math.min(Math.floor(outcomeBlocks), preCount))
  const specs: PredictorSpec[] = []
  for (let block = 0; block < blocks; block++) {
    const from = first + Math.floor((block * preCount) / blocks)
    const to = first + Math.floor(((block + 1) * preCount) / blocks) - 1
    specs.push({ variable: 'outcome', from, to })
  }
  for (const name of covariateNames)
    specs.push({ variable: name, from: first, to: treatmentStart - 1 })
  return specs
}
