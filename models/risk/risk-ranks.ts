import { ascendingOrder } from './ascending-order.js'

export interface RiskRankInput {
  /** Predicted risk per row, a probability 0–1. */
  risk: Float64Array | readonly number[]
  /** The group each row is ranked within, e.g. the municipality code `GM0518` or its index. */
  group: Int32Array | readonly (string | number)[]
}

/** Ranks as columns, one entry per input row in input order. */
export interface RiskRanks {
  /** 1 + the number of rows in the same group with strictly higher risk. */
  rank: Int32Array
  /** 100 × the share of the group's rows with risk ≤ this one (0–100]. */
  percentile: Float64Array
  /** 1 + the number of all rows with strictly higher risk. */
  rank_national: Int32Array
  /** 100 × the share of all rows with risk ≤ this one. */
  percentile_national: Float64Array
}

/**
 * Per member of `sortedMembers` (row indices in ascending risk): 1 + the number with strictly
 * higher risk into `rank`, 100 × the share with risk ≤ its own into `percentile`.
 */
function rankSorted(
  risks: Float64Array,
  sortedMembers: Int32Array,
  rank: Int32Array,
  percentile: Float64Array,
): void {
  const size = sortedMembers.length
  for (let from = 0; from < size;) {
    let to = from + 1
    while (to < size && risks[sortedMembers[to]] === risks[sortedMembers[from]]) to += 1
    // `to` rows have risk ≤ this run's; size − to have a strictly higher one.
    for (let position = from; position < to; position += 1) {
      rank[sortedMembers[position]] = 1 + size - to
      percentile[sortedMembers[position]] = (100 * to) / size
    }
    from = to
  }
}

/**
 * Competition ranks and percentiles of predicted risk, within each group (municipality) and over
 * all rows (national), as the `/v1/risk` rows of DESIGN.md §3 define them.
 *
 * rank = 1 + (number with strictly higher risk), so ties share the best rank ("1224" standard
 * competition ranking, R `rank(-risk, ties.method = "min")`); percentile = 100 × (number with
 * risk ≤ this one) / (number in the group), the empirical distribution function in percent
 * (R `100 * ecdf(risk)(risk)`), so "top p%" is percentile > 100 − p. The highest risk of a group
 * has rank 1 and percentile 100.
 *
 * Both come from one count, the rows with risk ≤ this one: the rows in ascending risk
 * (`ascendingOrder`, a radix sort), split by group keeping that order, are walked run of equal
 * risk by run. Pass one period's rows: every row is compared with every other row given.
 *
 * @param input risk (probability 0–1) and group per row, as columns of one length; not mutated
 * @returns the ranks as columns (`RiskRanks`), one entry per input row, in input order
 * @throws TypeError when a risk is not a finite number or the columns differ in length
 * Cost: O(n + groups).
 */
export function riskRanks(input: RiskRankInput): RiskRanks {
  const { risk, group } = input
  const count = risk.length
  if (group.length !== count) {
    throw new TypeError(
      `riskRanks requires one group per risk, got ${group.length} groups for ${count} risks`,
    )
  }
  const risks = new Float64Array(count)
  for (let index = 0; index < count; index += 1) {
    const value = risk[index]
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`riskRanks requires a finite risk per row, row ${index + 1} has ${value}`)
    }
    risks[index] = value
  }

  const order = ascendingOrder(risks)
  const ranks: RiskRanks = {
    rank: new Int32Array(count),
    percentile: new Float64Array(count),
    rank_national: new Int32Array(count),
    percentile_national: new Float64Array(count),
  }
  rankSorted(risks, order, ranks.rank_national, ranks.percentile_national)

  // Within groups: the ascending order split by group with a stable counting sort, so each
  // group's rows stay in ascending risk.
  const groupOf = new Int32Array(count)
  const groupNumbers = new Map<string | number, number>()
  for (let index = 0; index < count; index += 1) {
    let number = groupNumbers.get(group[index])
    if (number === undefined) {
      number = groupNumbers.size
      groupNumbers.set(group[index], number)
    }
    groupOf[index] = number
  }
  const groups = groupNumbers.size
  const groupStart = new Int32Array(groups + 1)
  for (let index = 0; index < count; index += 1) groupStart[groupOf[index] + 1] += 1
  for (let number = 0; number < groups; number += 1) groupStart[number + 1] += groupStart[number]
  const byGroup = new Int32Array(count)
  const filled = groupStart.slice(0, groups)
  for (let position = 0; position < count; position += 1) {
    const index = order[position]
    byGroup[filled[groupOf[index]]++] = index
  }
  for (let number = 0; number < groups; number += 1) {
    const members = byGroup.subarray(groupStart[number], groupStart[number + 1])
    rankSorted(risks, members, ranks.rank, ranks.percentile)
  }
  return ranks
}
