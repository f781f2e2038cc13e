/**
 * Statistical disclosure control for what leaves the service for a viewer (DESIGN.md §5),
 * following CBS practice in its neighbourhood tables, built so that it holds as a property
 * (issue 14): no combination of values a viewer can read determines a suppressed count.
 *
 * The property rests on one rule: **everything a viewer sees is computed from the rounded
 * table** — every stored count and youth population rounded to a multiple of `roundTo` — never
 * from exact values. Rates are rounded counts over rounded bases; sums over quarters or areas are
 * sums of rounded terms; tests, model outputs and effects are computed on rounded inputs. On top
 * of that, per cell:
 *
 * - counts below `minCell` become null and are listed in `suppressed`; other counts are shown
 *   rounded (a source NULL stays null and is not listed);
 * - the population base is shown rounded and never suppressed;
 * - derived values (rates, changes, ratios) are suppressed and listed when their base is below
 *   `minBase` or a count they are made from is suppressed;
 * - secondary suppression, per group (period and district) and count column: when exactly one
 *   row of the group is suppressed, the row with the next smallest value is suppressed too (ties
 *   by area code).
 *
 * Why it holds: a viewer can at most learn each cell's rounded value (by combining sums of
 * rounded terms with the values shown), and the suppression pattern (a suppressed cell is below
 * `minCell` or, secondarily, no larger than the smallest shown value of its group). A rounded
 * value stands for `roundTo` consecutive whole numbers; {@link disclosureGuaranteeProblem}
 * checks at start that every such set still holds at least two values inside the range a
 * suppressed cell can have, so no combination pins one. Exact values enter only the decisions
 * the cell rule itself makes (below `minCell`, small base, next smallest).
 *
 * Analysts and admins see exact values; rates on a small base are then flagged `unreliable`.
 * One module does this for every route: routes never round by hand.
 */
export interface DisclosureThresholds {
  minCell: number
  roundTo: number
  minBase: number
}

/** A value computed from counts: when it is suppressed, and (for cells) how a viewer's is made. */
interface DerivedFieldRule<Row> {
  field: keyof Row & string
  /** Counts it is made from: suppressed when any of them is. */
  from: readonly (keyof Row & string)[]
  /** Its base in young people: suppressed when below minBase (or unknown). */
  base?: (row: Row) => number | null
}

interface SpecCommon<Row> {
  /** Count fields: suppressed below minCell, otherwise rounded. */
  counts: readonly (keyof Row & string)[]
  /** Population fields: rounded, never suppressed. */
  populations?: readonly (keyof Row & string)[]
  /** Rows sharing a key are one table for secondary suppression (district and period). */
  group?: (row: Row) => string | null
  /** Ties in secondary suppression are broken by this (the area code). */
  identity?: (row: Row) => string
}

/**
 * How a record's fields relate, and which table its values come from (the proof obligation of
 * the rule above, made explicit at every use):
 *
 * - `cells`: the rows hold stored, exact counts (a snapshot, one quarter of a series). The cell
 *   rule decides on the exact values; every derived field says how the viewer's value is made
 *   from the row with its counts and populations rounded (`fromRounded`), so no exact rate can
 *   leave.
 * - `rounded`: the caller computed the rows from the rounded table (4-quarter sums of rounded
 *   terms, sums over neighbourhoods, model outputs on rounded inputs); counts below minCell are
 *   suppressed as any count, derived values are kept or suppressed as given.
 */
type CellDerivedField<Row> = DerivedFieldRule<Row> & {
  /** The viewer's value, from the row with its counts and populations rounded. */
  fromRounded: (rounded: Row) => number | null
}

export type DisclosureSpec<Row> =
  | (SpecCommon<Row> & { basis: 'cells'; derived?: ReadonlyArray<CellDerivedField<Row>> })
  | (SpecCommon<Row> & { basis: 'rounded'; derived?: ReadonlyArray<DerivedFieldRule<Row>> })

export type Disclosed<Row> = Row & { suppressed?: string[]; unreliable?: boolean }

/** Nearest multiple of `step`, halves up (12.5 → 15 with step 5). */
export function roundToMultiple(value: number, step: number): number {
  if (step <= 1) return Math.round(value)
  return Math.floor(value / step + 0.5) * step
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/**
 * Applies viewer disclosure control to a set of records that form one table (for secondary
 * suppression all neighbourhoods of a district for the period must be present). Returns new
 * records; the input is not changed.
 */
export function discloseForViewer<Row extends object>(
  rows: readonly Row[],
  spec: DisclosureSpec<Row>,
  thresholds: DisclosureThresholds,
): Disclosed<Row>[] {
  const suppressedFields = rows.map(() => new Set<string>())

  // Primary suppression of small counts.
  rows.forEach((row, index) => {
    for (const field of spec.counts) {
      const value = numberOrNull(row[field])
      if (value !== null && value < thresholds.minCell) suppressedFields[index].add(field)
    }
  })

  // Secondary suppression within each group, column by column.
  if (spec.group) {
    const groups = new Map<string, number[]>()
    rows.forEach((row, index) => {
      const key = spec.group!(row)
      if (key === null) return
      const members = groups.get(key)
      if (members) members.push(index)
      else groups.set(key, [index])
    })
    const identity = spec.identity ?? (() => '')
    for (const members of groups.values()) {
      if (members.length < 2) continue
      for (const field of spec.counts) {
        const suppressedHere = members.filter((index) => suppressedFields[index].has(field))
        if (suppressedHere.length !== 1) continue
        let next: number | undefined
        for (const index of members) {
          if (suppressedFields[index].has(field)) continue
          const value = numberOrNull(rows[index][field])
          if (value === null) continue
          if (next === undefined) {
            next = index
            continue
          }
          const best = numberOrNull(rows[next][field])!
          if (value < best || (value === best && identity(rows[index]) < identity(rows[next])))
            next = index
        }
        if (next !== undefined) suppressedFields[next].add(field)
      }
    }
  }

  return rows.map((row, index) => {
    const suppressed = suppressedFields[index]
    const out = { ...row } as Record<string, unknown>
    for (const field of [...spec.counts, ...(spec.populations ?? [])]) {
      const value = numberOrNull(out[field])
      if (value !== null) out[field] = roundToMultiple(value, thresholds.roundTo)
    }
    const rounded = { ...out } as Row
    for (const field of spec.derived ?? []) {
      // A count that is present makes a derived value that is present, whatever the base: a
      // value left out only because its base is 0 is suppressed like a small base, so that a
      // viewer cannot tell a base of 0 from one of 1 or 2 (which pins the count at 0).
      if (out[field.field] === undefined) continue // not a field of this record
      const madeFromPresent = field.from.some((source) => numberOrNull(row[source]) !== null)
      if (out[field.field] === null && !madeFromPresent) continue
      const base = field.base ? field.base(row) : null
      const fromSuppressed = field.from.some((source) => suppressed.has(source))
      const smallBase = field.base !== undefined && (base === null || base < thresholds.minBase)
      if (fromSuppressed || smallBase) suppressed.add(field.field)
      else if (spec.basis === 'cells') {
        const { fromRounded } = field as CellDerivedField<Row>
        out[field.field] = fromRounded(rounded)
      }
    }
    for (const field of suppressed) out[field] = null
    const ordered = [...suppressed].sort()
    return { ...(out as Row), ...(ordered.length > 0 ? { suppressed: ordered } : {}) }
  })
}

/** A whole-number value rounded as the disclosure module rounds counts (null stays null). */
export function roundedCount(
  value: number | null,
  thresholds: DisclosureThresholds,
): number | null {
  return value === null ? null : roundToMultiple(value, thresholds.roundTo)
}

/**
 * Why these thresholds cannot keep the guarantee, or null when they can. A viewer may learn the
 * rounded value of a suppressed cell (from sums of rounded terms); that must leave at least two
 * possible counts:
 * - a minimum cell of 1 suppresses 0 alone;
 * - rounding to a multiple of 1 or 2 leaves 0 alone (0 is the only count that rounds to 0);
 * - the rounding class that holds minCell − 1 must hold minCell − 2 too (a primary suppressed
 *   cell is below minCell), and the one that holds minCell must hold minCell + 1 too (a
 *   secondary suppressed cell is at least minCell);
 * - a base below minBase must not be tellable from its rounding when that pins a count: the
 *   rounding class of 0 (a population of 0 forces every count to 0) must lie below minBase.
 */
export function disclosureGuaranteeProblem(thresholds: DisclosureThresholds): string | null {
  const { minCell, roundTo, minBase } = thresholds
  if (minCell <= 0) return null // nothing is suppressed, nothing to protect
  if (minCell === 1) {
    return 'AANWAS_MIN_CELL 1 suppresses only 0, so a suppressed count is known to be 0: use 0 (no suppression) or at least 2'
  }
  if (roundTo < 3) {
    return `AANWAS_ROUND_TO must be at least 3 for viewer disclosure control: with ${roundTo} a rounded 0 shows an exact 0`
  }
  const classOf = (value: number) => roundToMultiple(value, roundTo)
  if (classOf(minCell - 1) !== classOf(minCell - 2)) {
    return `AANWAS_MIN_CELL ${minCell} with AANWAS_ROUND_TO ${roundTo}: ${minCell - 1} is alone among the suppressed counts in rounding to ${classOf(minCell - 1)}; choose a minimum cell one higher or lower`
  }
  if (classOf(minCell) !== classOf(minCell + 1)) {
    return `AANWAS_MIN_CELL ${minCell} with AANWAS_ROUND_TO ${roundTo}: ${minCell} is alone among the shown counts in rounding to ${classOf(minCell)}; choose a minimum cell one higher or lower`
  }
  const zeroClassTop = Math.ceil(roundTo / 2) - 1
  if (minBase <= zeroClassTop) {
    return `AANWAS_MIN_BASE must be above ${zeroClassTop} with AANWAS_ROUND_TO ${roundTo}, so that a youth population of 0 cannot be told from 1`
  }
  return null
}

/**
 * Exact values for analysts and admins: nothing changes, but a derived value on a base below
 * minBase is flagged `unreliable: true`.
 */
export function flagUnreliable<Row extends object>(
  rows: readonly Row[],
  spec: DisclosureSpec<Row>,
  thresholds: DisclosureThresholds,
): Disclosed<Row>[] {
  return rows.map((row) => {
    const unreliable = (spec.derived ?? []).some((field) => {
      if (!field.base) return false
      const value = (row as Record<string, unknown>)[field.field]
      if (value === null || value === undefined) return false
      const base = field.base(row)
      return base === null || base < thresholds.minBase
    })
    return unreliable ? { ...row, unreliable: true } : { ...row }
  })
}
