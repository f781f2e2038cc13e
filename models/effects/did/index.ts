/** Callaway & Sant'Anna (2021) staggered difference-in-differences, one step per file. */
export type { DidPanelRow, DidParams, DidWidePanel, DidWideUnit } from './did-params.js'
export { preprocessDid, preprocessDidWide, type PreprocessDidOptions } from './preprocess-did.js'
export { computeAttGt, type AttGtCell, type AttGtResult } from './compute-att-gt.js'
export {
  aggregateAtt,
  type AggregatedAtt,
  type AggregatedEntry,
  type AggregatedEstimate,
  type AggregationType,
} from './aggregate-att.js'
export {
  combineCellInfluence,
  addWeightEstimationInfluence,
  type CellCombination,
} from './aggregate-influence.js'
export {
  normalCriticalValue,
  normalInference,
  standardErrorFromInfluence,
  type NormalInference,
} from './influence-inference.js'
export { staggeredDid, type StaggeredDidResult } from './staggered-did.js'
export { areaDid, type AreaDidEffect, type AreaDidResult } from './area-did.js'
