/**
 * Influence function of a weighted average of ATT(g,t) cells, the step R did 2.x performs in
 * `get_agg_inf_func` and `wif` (`R/compute.aggte.R`), kept apart so every aggregation type
 * (simple, dynamic, group, calendar) shares it.
 *
 * An aggregate θ = Σ_k w_k · att_k over chosen cells k (`cellIndices`, weights `weights` summing
 * to 1) has influence IF_θ(i) = Σ_k w_k · IF_k(i) + [weight-estimation term](i). When the weights
 * are estimated group shares, w_k = p_k / Σ_K p_k with p_k the share of units in cell k's cohort
 * (`cellShares`), the second term accounts for estimating those shares from the same units:
 *
 *   wif(i) = Σ_k att_k · [ (1{G_i = g_k} − p_k) / S − (Σ_k' (1{G_i = g_k'} − p_k')) · p_k / S² ],
 *   S = Σ_k p_k,
 *
 * G_i the unit's group (`unitGroups`), g_k the cell's cohort (`cellGroups`). Computed in O(n + K)
 * by summing att_k per cohort first.
 *
 * Reference: Callaway & Sant'Anna (2021), J. Econometrics 225(2), section 4 and appendix; R did
 * 2.x `compute.aggte` (`get_agg_inf_func`, `wif`).
 */
export interface CellCombination {
  /** Indices of the cells combined. */
  readonly cellIndices: readonly number[]
  /** Their weights w_k, parallel to `cellIndices`, summing to 1. */
  readonly weights: readonly number[]
}

/**
 * Σ_k w_k · IF_k: the part of the aggregate's influence function that treats the weights as known.
 *
 * @param influence per cell, each of length n (units)
 * @param combination cells and weights
 * @returns a new array of length n
 */
export function combineCellInfluence(
  influence: readonly Float64Array[],
  combination: CellCombination,
): Float64Array {
  const unitCount = influence.length > 0 ? influence[0].length : 0
  const combined = new Float64Array(unitCount)
  combination.cellIndices.forEach((cell, position) => {
    const weight = combination.weights[position]
    const cellInfluence = influence[cell]
    for (let unit = 0; unit < unitCount; unit++) combined[unit] += weight * cellInfluence[unit]
  })
  return combined
}

/**
 * Adds the weight-estimation term wif(i) to `target` in place (see the file comment).
 *
 * @param target the aggregate influence function, length n (mutated: a fresh array of the caller)
 * @param atts att_k of the combined entries, parallel to `entryGroups`
 * @param entryGroups cohort g_k of each combined entry
 * @param entryShares p_k, the share of all units in cohort g_k, parallel to `entryGroups`
 * @param unitGroups each unit's group G_i (0 = never treated), length n
 */
export function addWeightEstimationInfluence(
  target: Float64Array,
  atts: readonly number[],
  entryGroups: readonly number[],
  entryShares: readonly number[],
  unitGroups: Float64Array,
): void {
  let shareSum = 0
  let weightedAtt = 0
  const attSumByGroup = new Map<number, number>()
  const countByGroup = new Map<number, number>()
  entryGroups.forEach((group, entry) => {
    shareSum += entryShares[entry]
    weightedAtt += entryShares[entry] * atts[entry]
    attSumByGroup.set(group, (attSumByGroup.get(group) ?? 0) + atts[entry])
    countByGroup.set(group, (countByGroup.get(group) ?? 0) + 1)
  })
  for (let unit = 0; unit < target.length; unit++) {
    const group = unitGroups[unit]
    const attSum = attSumByGroup.get(group) ?? 0
    const count = countByGroup.get(group) ?? 0
    const numeratorEffect = (attSum - weightedAtt) / shareSum
    const denominatorEffect = ((count - shareSum) * weightedAtt) / (shareSum * shareSum)
    target[unit] += numeratorEffect - denominatorEffect
  }
}
