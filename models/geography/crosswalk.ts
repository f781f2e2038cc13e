/**
 * Carrying counts of an earlier CBS division into a later one (issue 16). CBS redraws
 * neighbourhoods and districts almost every year and municipalities merge; a link says which
 * share of one area's counts belongs to an area of a later division:
 *
 *   from_year, from_code → to_year, to_code, weight
 *
 * (Amsterdam 2022→2023: WK036393 → WK0363TB 0.36, WK0363TC 0.39, WK0363TD 0.26 of addresses;
 * WK036378 and WK036379 → WK0363FB 1 each; Weesp GM0457 → GM0363 1 on its merger.) This is the
 * same apportioning by a weight table that CBS's own "wijk- en buurtsleutel" and the usual
 * areal-interpolation crosswalks do (e.g. the US Census Bureau's relationship files): a count
 * is assumed spread over the old area as the weight's base (addresses, area) is.
 *
 * Rules, as the contract states them:
 * - a code with no outgoing link carries into every later division as itself, weight 1, not
 *   bridged;
 * - links chain: 2015 → 2018 → 2023 multiplies the weights along the path, and a code of 2015
 *   with links only from 2018 on keeps its 2015 meaning until 2018;
 * - a link that ends after the target division is not followed (the area still existed then);
 * - shares reaching the same target code by several paths add up.
 *
 * Pure: links in, shares out. Validation of uploaded links (weights summing to 1, years
 * increasing) is the caller's (services/ingest/area-link-validator.ts).
 */

export interface AreaLink {
  from_year: number
  from_code: string
  to_year: number
  to_code: string
  /** the share of from_code's counts that belongs to to_code, in (0, 1] */
  weight: number
}

/** One target-division area's share of a stored area's counts. */
export interface CrosswalkShare {
  code: string
  /** product of the link weights along the path(s); sums to 1 over a stored area's shares */
  weight: number
  /** true when the path changed the code or apportioned (a weight below 1) */
  bridged: boolean
  /** the smallest link weight on the path (1 when carried as itself) */
  smallestLinkWeight: number
}

interface OutgoingLinks {
  /** the division years from which this code has links, ascending */
  years: number[]
  byYear: Map<number, AreaLink[]>
}

export class Crosswalk {
  private readonly outgoing = new Map<string, OutgoingLinks>()
  private readonly memo = new Map<string, readonly CrosswalkShare[]>()

  constructor(links: readonly AreaLink[]) {
    for (const link of links) {
      if (!(link.to_year > link.from_year)) {
        throw new RangeError(
          `Crosswalk requires to_year after from_year: ${link.from_code} ${link.from_year} → ${link.to_code} ${link.to_year}`,
        )
      }
      let entry = this.outgoing.get(link.from_code)
      if (!entry) {
        entry = { years: [], byYear: new Map() }
        this.outgoing.set(link.from_code, entry)
      }
      let yearLinks = entry.byYear.get(link.from_year)
      if (!yearLinks) {
        yearLinks = []
        entry.byYear.set(link.from_year, yearLinks)
        entry.years.push(link.from_year)
      }
      yearLinks.push(link)
    }
    for (const entry of this.outgoing.values()) entry.years.sort((a, b) => a - b)
  }

  /** Whether any link is known (without links every read is as stored). */
  get isEmpty(): boolean {
    return this.outgoing.size === 0
  }

  /**
   * The shares of `code`, as stored in the division of `year`, in the division of `target`
   * (`target` ≥ `year`), by target code ascending.
   */
  sharesOf(code: string, year: number, target: number): readonly CrosswalkShare[] {
    if (target < year) {
      throw new RangeError(`Crosswalk cannot carry ${code} of ${year} back to ${target}`)
    }
    const key = `${code}|${year}|${target}`
    let shares = this.memo.get(key)
    if (!shares) {
      shares = this.compute(code, year, target)
      this.memo.set(key, shares)
    }
    return shares
  }

  private compute(code: string, year: number, target: number): readonly CrosswalkShare[] {
    const links = this.nextLinks(code, year, target)
    if (!links) return [{ code, weight: 1, bridged: false, smallestLinkWeight: 1 }]
    const byCode = new Map<string, CrosswalkShare>()
    for (const link of links) {
      const changes = link.to_code !== code || link.weight < 1
      for (const share of this.sharesOf(link.to_code, link.to_year, target)) {
        const weight = link.weight * share.weight
        const smallest = Math.min(link.weight, share.smallestLinkWeight)
        const bridged = changes || share.bridged
        const known = byCode.get(share.code)
        byCode.set(
          share.code,
          known
            ? {
                code: share.code,
                weight: known.weight + weight,
                bridged: known.bridged || bridged,
                smallestLinkWeight: Math.min(known.smallestLinkWeight, smallest),
              }
            : { code: share.code, weight, bridged, smallestLinkWeight: smallest },
        )
      }
    }
    return [...byCode.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
  }

  /** The first division change of `code` at or after `year` that ends by `target`, if any. */
  private nextLinks(code: string, year: number, target: number): AreaLink[] | undefined {
    const entry = this.outgoing.get(code)
    if (!entry) return undefined
    for (const fromYear of entry.years) {
      if (fromYear < year) continue
      if (fromYear >= target) return undefined
      const links = entry.byYear.get(fromYear)!
      // a change that lands after the target division: the area still existed in it
      if (links.some((link) => link.to_year > target)) return undefined
      return links
    }
    return undefined
  }
}
