/*
 * Why one file of about 420 lines (issue 15 asks a reason above 400): it is the upload contract of
 * DESIGN.md §1 in one place — every column's cell rule beside the message a rejected row gets,
 * for CSV and JSON alike. Split, a rule and its message would drift apart.
 */
import { formatQuarter, parseQuarter, type Quarter } from '../../models/periods/quarter.js'
import { areaCodePattern, municipalityCode } from '../domain/areas.js'
import {
  baseColumn,
  countColumns,
  valueColumns,
  type CountColumn,
  type SnapshotValues,
  type ValueColumn,
} from '../../models/vocabulary/indicators.js'

/**
 * The snapshot upload contract of DESIGN.md §1: its columns, what a valid cell is, and the
 * errors a rejected upload lists (`{row, column, message}`, rows numbered as a spreadsheet or
 * JSON element index + 1). CSV and JSON uploads both come through this one validator.
 */
export type SnapshotColumn = 'area_code' | 'area_name' | 'period' | ValueColumn

/** The identity and name of the area and the quarter, then the vocabulary's value columns. */
export const snapshotColumns: readonly SnapshotColumn[] = [
  'area_code',
  'area_name',
  'period',
  ...valueColumns,
]

export { countColumns, type CountColumn }

export const requiredColumns = snapshotColumns.filter((column) => column !== 'area_name')

/** A row that passed every rule, in canonical form. */
export interface ValidSnapshotRow extends SnapshotValues {
  row: number
  area_code: string
  area_name: string | null
  period: string
}

export interface RowError {
  row: number
  column: string | null
  message: string
}

/** The longest area name accepted, in characters (Unicode code points). */
export const areaNameMaxLength = 200

/**
 * Control characters (C0 with NUL, TAB, CR and LF; DEL; C1) and the bidirectional formatting
 * characters (embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, the marks U+200E,
 * U+200F and U+061C): a name is shown in lists, maps and CSV exports, where these break the
 * text around it or make it read as something else; PostgreSQL refuses NUL outright.
 */
const forbiddenInAreaName = /[\p{Cc}\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u

/**
 * The rule for an area name, wherever one is stored (snapshot uploads by CSV, JSON or the CLI,
 * and GeoJSON boundaries): at most `areaNameMaxLength` characters, with no control or
 * bidirectional formatting character. Answers what is wrong, or undefined for a good name.
 */
export function areaNameProblem(name: string): string | undefined {
  // At most two UTF-16 units per character: only a longer string needs counting.
  if (name.length > areaNameMaxLength) {
    const characters = countCharacters(name)
    if (characters > areaNameMaxLength)
      return `area_name must be at most ${areaNameMaxLength} characters, got ${characters}`
  }
  const forbidden = forbiddenInAreaName.exec(name)
  if (!forbidden) return undefined
  const character = forbidden[0]
  const codePoint = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
  const kind = /\p{Cc}/u.test(character)
    ? 'a control character'
    : 'a bidirectional formatting character'
  const position = countCharacters(name.slice(0, forbidden.index)) + 1
  return `area_name must not contain ${kind} (${codePoint} at character ${position})`
}

/** Unicode code points in a string, without building an array of them (names can be MBs). */
function countCharacters(text: string): number {
  let pairs = 0
  for (let index = 0; index < text.length - 1; index += 1) {
    const unit = text.charCodeAt(index)
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs += 1
        index += 1
      }
    }
  }
  return text.length - pairs
}

/** CBS's markers for "not delivered or suppressed at the source": stored as NULL, never as 0. */
const missingMarkers = new Set(['', '.', 'x', '-99995', '-99997', '-99999999'])

const maxInteger = 2_147_483_647

function isMissing(value: unknown): boolean {
  if (value === null || value === undefined) return true
  if (typeof value === 'number') return missingMarkers.has(String(value))
  if (typeof value === 'string') return missingMarkers.has(value.trim().toLowerCase())
  return false
}

type ParsedInteger = { ok: true; value: number } | { ok: false; message: string }

function parseWholeNumber(value: unknown): ParsedInteger {
  let number: number
  if (typeof value === 'number') {
    number = value
  } else if (typeof value === 'string' && /^[+-]?\d+(\.0*)?$/.test(value.trim())) {
    number = Number(value.trim())
  } else {
    return { ok: false, message: `must be a whole number, got ${describe(value)}` }
  }
  if (!Number.isInteger(number))
    return { ok: false, message: `must be a whole number, got ${describe(value)}` }
  if (number < 0) return { ok: false, message: `must be 0 or more, got ${number}` }
  if (number > maxInteger)
    return { ok: false, message: `must be at most ${maxInteger}, got ${number}` }
  return { ok: true, value: number }
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value
    return JSON.stringify(shown)
  }
  if (value !== null && typeof value === 'object')
    return Array.isArray(value) ? 'a list' : 'an object'
  return String(value)
}

function quarterIndex(value: Quarter): number {
  return value.year * 4 + value.quarter - 1
}

export interface SnapshotValidatorOptions {
  /** The current quarter (Europe/Amsterdam): later quarters are "in the future". */
  currentQuarter: Quarter
  /** Municipality the uploading key is limited to; undefined for admin keys. */
  scope?: string
}

/**
 * Validates one upload, header first, then row by row. It keeps the identity of every row seen
 * so a duplicate `(area_code, period)` is blamed on its second occurrence.
 */
export class SnapshotValidator {
  private readonly seen = new Set<string>()
  private readonly currentIndex: number
  private columns: SnapshotColumn[] = []

  constructor(private readonly options: SnapshotValidatorOptions) {
    this.currentIndex = quarterIndex(options.currentQuarter)
  }

  /**
   * Checks the header (CSV) or the first object's keys (JSON): case-insensitive names, no
   * unknown or repeated column, every column of DESIGN.md §1 but `area_name` present.
   * Returns the canonical column per position (undefined for a rejected one) and the errors.
   */
  header(names: readonly string[]): {
    columns: (SnapshotColumn | undefined)[]
    errors: RowError[]
  } {
    const errors: RowError[] = []
    const columns: (SnapshotColumn | undefined)[] = []
    const present = new Set<SnapshotColumn>()
    for (const rawName of names) {
      const name = rawName.trim().toLowerCase()
      if (!(snapshotColumns as readonly string[]).includes(name)) {
        errors.push({
          row: 1,
          column: rawName,
          message: `unknown column "${rawName}": only ${snapshotColumns.join(', ')} are accepted (no person-level or other data)`,
        })
        columns.push(undefined)
      } else if (present.has(name as SnapshotColumn)) {
        errors.push({ row: 1, column: name, message: `column "${name}" appears more than once` })
        columns.push(undefined)
      } else {
        present.add(name as SnapshotColumn)
        columns.push(name as SnapshotColumn)
      }
    }
    for (const required of requiredColumns) {
      if (!present.has(required)) {
        errors.push({
          row: 1,
          column: required,
          message: `required column "${required}" is missing`,
        })
      }
    }
    this.columns = columns.filter((column): column is SnapshotColumn => column !== undefined)
    return { columns, errors }
  }

  /** The columns the header declared, in canonical names. */
  get declaredColumns(): readonly SnapshotColumn[] {
    return this.columns
  }

  /**
   * Validates one row given as canonical column → raw value (string from CSV; number, string
   * or null from JSON). Columns the header lacked are absent and reported by `header` already.
   */
  row(
    rowNumber: number,
    values: Partial<Record<SnapshotColumn, unknown>>,
  ): { row?: ValidSnapshotRow; errors: RowError[]; outOfScope?: RowError } {
    const errors: RowError[] = []
    // `fail` is a module function, not a closure made per row: the service runs through tsx,
    // whose keepNames wraps every function created per row in a defineProperty call (~7% of an
    // upload's CPU, profiled on the 720,000-row bench).

    // area_code
    let areaCode: string | undefined
    const rawCode = values.area_code
    if (isMissing(rawCode) || typeof rawCode !== 'string' || rawCode.trim() === '') {
      if (typeof rawCode === 'string' || isMissing(rawCode))
        fail(errors, rowNumber, 'area_code', 'area_code is required')
      else fail(errors, rowNumber, 'area_code', `must be a CBS area code, got ${describe(rawCode)}`)
    } else if (!areaCodePattern.test(rawCode.trim())) {
      fail(
        errors,
        rowNumber,
        'area_code',
        `${describe(rawCode)} is not a CBS area code (GM + 4 digits, WK + 6 digits or BU + 8 digits)`,
      )
    } else {
      areaCode = rawCode.trim()
    }

    // area_name
    let areaName: string | null = null
    const rawName = values.area_name
    if (rawName !== undefined && rawName !== null) {
      if (typeof rawName !== 'string') {
        fail(errors, rowNumber, 'area_name', `must be text, got ${describe(rawName)}`)
      } else {
        const problem = areaNameProblem(rawName)
        if (problem) fail(errors, rowNumber, 'area_name', problem)
        else if (rawName.trim() !== '') areaName = rawName
      }
    }

    // period
    let period: string | undefined
    const rawPeriod = values.period
    if (typeof rawPeriod !== 'string' || rawPeriod.trim() === '') {
      fail(
        errors,
        rowNumber,
        'period',
        rawPeriod === undefined || rawPeriod === null || rawPeriod === ''
          ? 'period is required'
          : `must be a quarter like 2024Q3, got ${describe(rawPeriod)}`,
      )
    } else {
      const quarter = parseQuarter(rawPeriod)
      if (!quarter) {
        fail(
          errors,
          rowNumber,
          'period',
          `${describe(rawPeriod)} is not a quarter (use 2024Q3, 2024-Q3, 2024 Q3 or 2024KW03)`,
        )
      } else if (quarterIndex(quarter) > this.currentIndex) {
        fail(
          errors,
          rowNumber,
          'period',
          `${formatQuarter(quarter)} is in the future (the current quarter is ${formatQuarter(this.options.currentQuarter)})`,
        )
      } else {
        period = formatQuarter(quarter)
      }
    }

    // the base (youth_population): required
    let youthPopulation: number | undefined
    const rawBase = values[baseColumn]
    if (isMissing(rawBase)) {
      fail(errors, rowNumber, baseColumn, baseRequired)
    } else {
      const parsed = parseWholeNumber(rawBase)
      if (parsed.ok) youthPopulation = parsed.value
      else fail(errors, rowNumber, baseColumn, `${baseColumn} ${parsed.message}`)
    }

    // The row as it is returned when valid, its counts filled in below: one object per row.
    const valid = {
      row: rowNumber,
      area_code: areaCode,
      area_name: areaName,
      period,
      [baseColumn]: youthPopulation,
    } as ValidSnapshotRow

    // the counts: empty or a CBS marker is NULL; else 0 ≤ value ≤ youth_population
    for (const column of countColumns) {
      const raw = values[column]
      if (isMissing(raw)) {
        valid[column] = null
        continue
      }
      const parsed = parseWholeNumber(raw)
      if (!parsed.ok) {
        fail(errors, rowNumber, column, `${column} ${parsed.message}`)
      } else if (youthPopulation !== undefined && parsed.value > youthPopulation) {
        fail(
          errors,
          rowNumber,
          column,
          `${column} (${parsed.value}) is larger than ${baseColumn} (${youthPopulation})`,
        )
      } else {
        valid[column] = parsed.value
      }
    }

    // duplicate (area_code, period) inside this upload: blame the second occurrence's period
    if (areaCode !== undefined && period !== undefined) {
      const identity = `${areaCode}|${period}`
      if (this.seen.has(identity)) {
        fail(
          errors,
          rowNumber,
          'period',
          `duplicate row for ${areaCode} in ${period}: each (area_code, period) may appear once per upload`,
        )
      } else {
        this.seen.add(identity)
      }
    }

    let outOfScope: RowError | undefined
    if (
      areaCode !== undefined &&
      this.options.scope &&
      municipalityCode(areaCode) !== this.options.scope
    ) {
      outOfScope = {
        row: rowNumber,
        column: 'area_code',
        message: `${areaCode} is outside this key's municipality ${this.options.scope}`,
      }
    }

    errors.sort(compareErrors)
    if (
      errors.length > 0 ||
      areaCode === undefined ||
      period === undefined ||
      youthPopulation === undefined
    ) {
      return { errors, outOfScope }
    }
    return { errors, outOfScope, row: valid }
  }
}

const baseRequired = `${baseColumn} is required (a whole number of 0 or more)`

function fail(
  errors: RowError[],
  rowNumber: number,
  column: SnapshotColumn,
  message: string,
): void {
  errors.push({ row: rowNumber, column, message })
}

/** Row first, then column name (a null column, the whole record, first). */
export function compareErrors(a: RowError, b: RowError): number {
  if (a.row !== b.row) return a.row - b.row
  if (a.column === b.column) return 0
  if (a.column === null) return -1
  if (b.column === null) return 1
  return a.column < b.column ? -1 : 1
}

/**
 * Collects errors: counts all of them, keeps the first `limit` in row order
 * (DESIGN.md §3: `details.total` and the first 1000).
 */
export class ErrorList {
  total = 0
  readonly kept: RowError[] = []
  constructor(private readonly limit = 1000) {}

  add(errors: readonly RowError[]): void {
    for (const error of errors) {
      this.total += 1
      this.kept.push(error)
    }
    if (this.kept.length > this.limit * 2) this.trim()
  }

  private trim(): void {
    this.kept.sort(compareErrors)
    this.kept.length = Math.min(this.kept.length, this.limit)
  }

  get errors(): RowError[] {
    this.trim()
    return this.kept
  }
}
