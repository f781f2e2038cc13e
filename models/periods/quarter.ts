import { addQuarters, differenceInCalendarQuarters, getQuarter, getYear } from 'date-fns'

/**
 * Calendar quarters. The canonical form is `2024Q3`; input also accepts `2024-Q3`, `2024 Q3`
 * and CBS StatLine's `2024KW03` / `2024KW3`, case-insensitive (DESIGN.md §1). Arithmetic goes
 * through date-fns on the quarter's first day, so a quarter is never a hand-rolled month sum.
 */
export interface Quarter {
  year: number
  quarter: 1 | 2 | 3 | 4
}

const quarterPattern = /^(\d{4})\s*(?:-?\s*Q|KW0?)([1-4])$/i

/** Parses any accepted spelling; undefined when the text is not a quarter. */
export function parseQuarter(text: string): Quarter | undefined {
  const match = quarterPattern.exec(text.trim())
  if (!match) return undefined
  const year = Number(match[1])
  if (year < 1900) return undefined
  return { year, quarter: Number(match[2]) as Quarter['quarter'] }
}

/** `2024Q3`. */
export function formatQuarter(value: Quarter): string {
  return `${value.year}Q${value.quarter}`
}

/** The canonical spelling of a quarter, or undefined when the text is not one. */
export function canonicalQuarter(text: string): string | undefined {
  const parsed = parseQuarter(text)
  return parsed ? formatQuarter(parsed) : undefined
}

/** The first day of the quarter, as a local calendar date. */
export function quarterStart(value: Quarter): Date {
  return new Date(value.year, (value.quarter - 1) * 3, 1)
}

/** The quarter a calendar date falls in. */
export function quarterOfDate(date: Date): Quarter {
  return { year: getYear(date), quarter: getQuarter(date) as Quarter['quarter'] }
}

/** The quarter `count` quarters after (negative: before) the given one. */
export function shiftQuarter(value: Quarter, count: number): Quarter {
  return quarterOfDate(addQuarters(quarterStart(value), count))
}

/** Number of quarters from `earlier` to `later` (negative when `later` comes first). */
export function quartersBetween(earlier: Quarter, later: Quarter): number {
  return differenceInCalendarQuarters(quarterStart(later), quarterStart(earlier))
}

/**
 * Shifts a period by `count` quarters and answers it in canonical form; the period may be in any
 * accepted spelling (`2024KW03`). Throws on a period that is not a quarter or a count that is not
 * a whole number.
 */
export function shiftPeriod(period: string, count: number): string {
  const parsed = parseQuarter(period)
  if (!parsed) throw new TypeError(`shiftPeriod requires a quarter like 2024Q3, got "${period}"`)
  if (!Number.isInteger(count)) {
    throw new RangeError(`shiftPeriod requires a whole number of quarters, got ${count}`)
  }
  return formatQuarter(shiftQuarter(parsed, count))
}
