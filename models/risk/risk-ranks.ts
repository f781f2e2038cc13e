export interface RiskRankInput {
  /** Predicted risk, a probability 0–1. */
  risk: number
  /** The group ranked within, e.g. the municipality code `GM0518`. */
  group: string
}

export interface RiskRank {
  /** 1 + the number of rows in the same group with strictly higher risk. */
  rank: number
  /** 100 × the share of the group's rows with risk ≤ this one (0–100]. */
  percentile: number
  /** 1 + the number of all rows with strictly higher risk. */
  rank_national: number
  /** 100 × the share of all rows with risk ≤ this one. */
  percentile_national: number
}

/** Per row: how many rows of `order` (sorted by risk, highest first) have strictly higher risk. */
function countStrictlyHigher(risks: readonly number[], order: number[], into: Int32Array): void {
  order.sort((a, b) => risks[b] - risks[a])
  let blockStart = 0
  for (let position = 0; position < order.length; position += 1) {
    if (position > 0 && risks[order[position]] !== risks[order[position - 1]]) blockStart = position
    into[order[position]] = blockStart
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
 * Pass one period's rows: every row is compared with every other row given.
 *
 * @param rows risk (probability 0–1) and group per row; not mutated
 * @returns one entry per input row, in input order
 * @throws TypeError when a risk is not a finite number or a group not a string
 * Cost: O(n log n) (sorting).
 */
export function riskRanks(rows: readonly RiskRankInput[]): RiskRank[] {
  const risks = rows.map((row, index) => {
    if (typeof row?.risk !== 'number' || !Number.isFinite(row.risk)) {
      throw new TypeError(
        `riskRanks requires a finite risk per row, row ${index + 1} has ${row?.risk}`,
      )
    }
    if (typeof row.group !== 'string') {
      throw new TypeError(`riskRanks requires a group string per row, row ${index + 1} has none`)
    }
    return row.risk
  })
  const count = rows.length
  const higherNational = new Int32Array(count)
  countStrictlyHigher(
    risks,
    rows.map((_, index) => index),
    higherNational,
  )
  const members = new Map<string, number[]>()
  rows.forEach((row, index) => {
    const list = members.get(row.group)
    if (list) list.push(index)
    else members.set(row.group, [index])
  })
  const higherInGroup = new Int32Array(count)
  const groupSize = new Int32Array(count)
  for (const indices of members.values()) {
    for (const index of indices) groupSize[index] = indices.length
    countStrictlyHigher(risks, indices, higherInGroup)
  }
  return rows.map((_, index) => ({
    rank: 1 + higherInGroup[index],
    percentile: (100 * (groupSize[index] - higherInGroup[index])) / groupSize[index],
    rank_national: 1 + higherNational[index],
    percentile_national: (100 * (count - higherNational[index])) / count,
  }))
}
