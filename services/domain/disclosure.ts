/**
 * Statistical disclosure control for what leaves the service for a viewer (DESIGN.md §5),
 * following CBS practice in its neighbourhood tables:
 *
 * - counts below `minCell` become null and are listed in `suppressed`; other counts are rounded
 *   to the nearest multiple of `roundTo`, halves up (a source NULL stays null and is not listed);
 * - the population base is rounded the same way and never suppressed;
 * - rates (and other values computed from exact counts) are suppressed and listed when their base
 *   is below `minBase` or the count they are made from is suppressed;
 * - secondary suppression, per group (period and district) and count column: when exactly one
 *   row of the group is suppressed, the row with the next smallest value is suppressed too (ties
 *   by area code), so "district total minus the rest" cannot recover it;
 * - values that would reveal a suppressed count are suppressed with it.
 *
 * Analysts and admins see exact values; rates on a small base are then flagged `unreliable`.
 * One module does this for every route: routes never round by hand.
 */
export interface DisclosureThresholds {
  minCell: number
  roundTo: number
  minBase: number
}

/** How a record's fields relate: which are counts, which the base, which derive from which. */
export interface DisclosureSpec<Row> {
  /** Count fields: suppressed below minCell, otherwise rounded. */
  counts: readonly (keyof Row & string)[]
  /** Population fields: rounded, never suppressed. */
  populations?: readonly (keyof Row & string)[]
  /**
   * Derived fields (rates, changes, ratios, intervals): suppressed when any count in `from` is
   * suppressed, or when the base (`base(row)`, exact) is below minBase.
   */
  derived?: ReadonlyArray<{
    field: keyof Row & string
    from: readonly (keyof Row & string)[]
    base?: (row: Row) => number | null
  }>
  /** Rows sharing a key are one table for secondary suppression (district and period). */
  group?: (row: Row) => string | null
  /** Ties in secondary suppression are broken by this (the area code). */
  identity?: (row: Row) => string
}

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
    for (const field of spec.derived ?? []) {
      if (out[field.field] === null || out[field.field] === undefined) continue
      const base = field.base ? field.base(row) : null
      const fromSuppressed = field.from.some((source) => suppressed.has(source))
      const smallBase = field.base !== undefined && (base === null || base < thresholds.minBase)
      if (fromSuppressed || smallBase) suppressed.add(field.field)
    }
    for (const field of suppressed) out[field] = null
    for (const field of spec.counts) {
      const value = numberOrNull(out[field])
      if (value !== null) out[field] = roundToMultiple(value, thresholds.roundTo)
    }
    for (const field of spec.populations ?? []) {
      const value = numberOrNull(out[field])
      if (value !== null) out[field] = roundToMultiple(value, thresholds.roundTo)
    }
    const ordered = [...suppressed].sort()
    return { ...(out as Row), ...(ordered.length > 0 ? { suppressed: ordered } : {}) }
  })
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
