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

const statLineYear = /^(\d{4})\s*JJ00$/i
const statLineMonth = /^(\d{4})\s*MM(0?[1-9]|1[0-2])$/i

/**
 * A StatLine period code that is not a quarter: `2024JJ00` (a year) or `2024MM07` (a month).
 * StatLine's `Perioden` dimension mixes them with quarters (`2024KW03`) in one column, so a
 * reader can say what such a period is instead of only "not a quarter". Undefined for anything
 * else, quarters included.
 */
export function statLineNonQuarter(
  text: string,
): { kind: 'year'; year: number } | { kind: 'month'; year: number; month: number } | undefined {
  const trimmed = text.trim()
  const year = statLineYear.exec(trimmed)
  if (year) return { kind: 'year', year: Number(year[1]) }
  const month = statLineMonth.exec(trimmed)
  if (month) return { kind: 'month', year: Number(month[1]), month: Number(month[2]) }
  return undefined
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
