import type { Finding } from './alert-input.js'

/**
 * One rule kind over the neighbourhoods in a rule's scope: the finding at `back` quarters before
 * the latest quarter (0 = the latest) for the areas at the given positions. Null where the data
 * do not allow a finding; that counts as "condition clear". Implementations may compute for all
 * areas at once (Benjamini-Hochberg needs every p-value of the quarter) and cache per `back`.
 */
export interface KindEvaluator {
  at(back: number, positions: readonly number[]): (Finding | null)[]
}
