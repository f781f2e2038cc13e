import type { AreaLink } from '../../models/geography/crosswalk.js'
import { areaCodeForms } from '../../models/vocabulary/area-codes.js'
import { areaCodePattern, areaLevel } from '../domain/areas.js'

/**
 * The upload contract of area links (issue 16, `POST /v1/area-links`): rows
 * `from_year, from_code, to_year, to_code, weight` — the share of from_code's counts (in the CBS
 * division of from_year) that belongs to to_code (in the division of to_year). CSV is read by
 * the same reader as snapshot uploads (services/ingest/upload-records.ts: `,` or `;`, BOM,
 * UTF-8 checked, rows numbered as a spreadsheet numbers them); header names are matched without
 * case. Every rule is checked on every row and all errors come back together.
 */
export const areaLinkColumns = ['from_year', 'from_code', 'to_year', 'to_code', 'weight'] as const

/** How far the weights of one area may sum from 1 (shares of addresses are rounded). */
export const weightSumTolerance = 0.01

/** CBS divisions exist from the 1990s; a year outside this is a typing error. */
const firstYear = 1990
const lastYear = 2100

export interface AreaLinkRowError {
  row: number
  column: string | null
  message: string
}

export type AreaLinkValidation =
  { ok: true; links: AreaLink[] } | { ok: false; total: number; errors: AreaLinkRowError[] }

/** At most this many errors are listed; `total` counts them all. */
const listedErrors = 100

function yearOf(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof number === 'number' && Number.isInteger(number) ? number : null
}

function weightOf(value: unknown): number | null {
  // a decimal comma (0,36) is read as a decimal point: shares have no thousands
  const text = typeof value === 'string' ? value.trim().replace(',', '.') : value
  const number = typeof text === 'string' && text !== '' ? Number(text) : text
  return typeof number === 'number' && Number.isFinite(number) ? number : null
}

const shown = (value: unknown) =>
  value === undefined || value === null || value === '' ? 'nothing' : JSON.stringify(value)

/**
 * Validates link records. A whole upload is refused when any row breaks a rule:
 * - every column present; years whole numbers 1990–2100 with to_year after from_year;
 * - codes CBS area codes of one level (a neighbourhood links to neighbourhoods);
 * - weight a number above 0 and at most 1;
 * - one row per (from_year, from_code, to_code);
 * - the links of one (from_year, from_code) all land in one to_year and their weights sum to
 *   1 ± 0.01 (the error names the area, its sum and its first row).
 */
export function validateAreaLinks(
  records: readonly Record<string, unknown>[],
  /** each record's row number (CSV: as a spreadsheet numbers it; JSON: index + 1) */
  rowNumbers: readonly number[],
  /** a CSV's header names, lower-cased: a missing column is said once, of row 1 */
  header?: readonly string[],
): AreaLinkValidation {
  const errors: AreaLinkRowError[] = []
  let total = 0
  const fail = (row: number, column: string | null, message: string) => {
    total += 1
    if (errors.length < listedErrors) errors.push({ row, column, message })
  }
  if (header) {
    // CSV: a missing column is said once, of the header, not on every row
    const missing = areaLinkColumns.filter((column) => !header.includes(column))
    if (missing.length > 0) {
      fail(
        1,
        null,
        `the header lacks ${missing.join(', ')} (needed: ${areaLinkColumns.join(', ')})`,
      )
      return { ok: false, total, errors }
    }
  }
  if (records.length === 0) {
    fail(header ? 2 : 1, null, 'no links: the upload has no rows')
    return { ok: false, total, errors }
  }
  const links: AreaLink[] = []
  const rowOfLink: number[] = []
  const seen = new Map<string, number>()
  records.forEach((record, index) => {
    const row = rowNumbers[index]
    const value = (column: string) => {
      const found = record[column]
      return typeof found === 'string' ? found.trim() : found
    }
    let valid = true
    const check = (condition: boolean, column: string, message: string) => {
      if (!condition) {
        valid = false
        fail(row, column, message)
      }
    }
    const fromYear = yearOf(value('from_year'))
    const toYear = yearOf(value('to_year'))
    for (const [column, year] of [
      ['from_year', fromYear],
      ['to_year', toYear],
    ] as const) {
      check(
        year !== null && year >= firstYear && year <= lastYear,
        column,
        `${column} must be a year (${firstYear}–${lastYear}), got ${shown(value(column))}`,
      )
    }
    if (fromYear !== null && toYear !== null && valid) {
      check(
        toYear > fromYear,
        'to_year',
        `to_year (${toYear}) must come after from_year (${fromYear}): a link carries counts forward`,
      )
    }
    const codes: Record<string, string | null> = {}
    for (const column of ['from_code', 'to_code']) {
      const code = value(column)
      const ok = typeof code === 'string' && areaCodePattern.test(code)
      check(ok, column, `${column} must be a CBS area code (${areaCodeForms}), got ${shown(code)}`)
      codes[column] = ok ? (code as string) : null
    }
    if (codes.from_code && codes.to_code) {
      check(
        areaLevel(codes.from_code) === areaLevel(codes.to_code),
        'to_code',
        `${codes.to_code} is a ${areaLevel(codes.to_code)} and ${codes.from_code} a ${areaLevel(codes.from_code)}: a link joins areas of one level`,
      )
    }
    const weight = weightOf(value('weight'))
    check(
      weight !== null && weight > 0 && weight <= 1,
      'weight',
      `weight must be a share above 0 and at most 1, got ${shown(value('weight'))}`,
    )
    if (!valid) return
    const key = `${fromYear}|${codes.from_code}|${codes.to_code}`
    const earlier = seen.get(key)
    if (earlier !== undefined) {
      fail(
        row,
        'to_code',
        `${codes.from_code} (${fromYear}) → ${codes.to_code} is already given in row ${earlier}`,
      )
      return
    }
    seen.set(key, row)
    links.push({
      from_year: fromYear!,
      from_code: codes.from_code!,
      to_year: toYear!,
      to_code: codes.to_code!,
      weight: weight!,
    })
    rowOfLink.push(row)
  })

  // per area of a division: one target division, weights summing to 1
  const groups = new Map<string, number[]>()
  links.forEach((link, index) => {
    const key = `${link.from_year}|${link.from_code}`
    const members = groups.get(key)
    if (members) members.push(index)
    else groups.set(key, [index])
  })
  for (const members of groups.values()) {
    const first = links[members[0]]
    const years = new Set(members.map((index) => links[index].to_year))
    if (years.size > 1) {
      fail(
        rowOfLink[members[0]],
        'to_year',
        `the links of ${first.from_code} (${first.from_year}) land in several divisions (${[...years].sort().join(', ')}): one change goes to one later division`,
      )
      continue
    }
    const sum = members.reduce((total, index) => total + links[index].weight, 0)
    // 1e-9: 0.36 + 0.39 + 0.26 is 1.0100000000000002 in floating point, yet within 1 ± 0.01
    if (Math.abs(sum - 1) > weightSumTolerance + 1e-9) {
      fail(
        rowOfLink[members[0]],
        'weight',
        `the weights of ${first.from_code} (${first.from_year}) sum to ${Number(sum.toFixed(6))}, not 1 ± ${weightSumTolerance} (rows ${members.map((index) => rowOfLink[index]).join(', ')})`,
      )
    }
  }
  if (total > 0) return { ok: false, total, errors }
  return { ok: true, links }
}
