/** Synthetic control (Abadie, Diamond & Hainmueller 2010), one step per file. */
export type {
  PredictorSpec,
  PredictorWeighting,
  SyntheticControlOptions,
  SyntheticControlPanel,
  SyntheticControlParams,
  SyntheticControlUnit,
} from './synthetic-control-params.js'
export { prepareSyntheticControl } from './prepare-synthetic-control.js'
export { defaultPredictorSpecs } from './default-predictors.js'
export { closestDonors } from './closest-donors.js'
export {
  solveDonorWeights,
  type DonorWeightsProblem,
  type DonorWeightsSolution,
} from './donor-weights.js'
export { nelderMead, type NelderMeadOptions, type NelderMeadResult } from './nelder-mead.js'
export { fitSyntheticControl, type SyntheticControlFit } from './fit-synthetic-control.js'
export { fitPlaceboPool, placeboFits, type PlaceboFit, type PlaceboPool } from './placebo-pool.js'
export {
  estimateSyntheticControl,
  type DonorWeight,
  type SyntheticControlEstimate,
} from './estimate-synthetic-control.js'
export {
  aggregateSyntheticControl,
  type AggregateSyntheticControlOptions,
  type AggregatedSyntheticControl,
  type EventTimeEffect,
  type PlaceboInterval,
} from './aggregate-synthetic-control.js'
