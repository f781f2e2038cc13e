/*
 * Why one file of about 520 lines (issue 15 asks a reason above 400): it is the upload contract of
 * DESIGN.md §1 in one place — every column's cell rule beside the message a rejected row gets,
 * for CSV and JSON alike, with the column mapping of CBS tables and the messages for their
 * thousands separators and StatLine periods (issue 16). Split, a rule and its message would
 * drift apart.
 */
import {
  formatQuarter,
  parseQuarter,
  statLineNonQuarter,
  type Quarter,
} from '../../models/periods/quarter.js'
import { areaCodePattern, municipalityCode } from '../domain/areas.js'
import { areaCodeForms } from '../../models/vocabulary/area-codes.js'
import {
  baseColumn,
  countColumns,
  valueColumns,
  type CountColumn,
  type SnapshotValues,
  type ValueColumn,
} from '../../models/vocabulary/indicators.js'
import type { ColumnMapping } from './column-profiles.js'

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
    const text = value.trim()
    // `1.000` passes as the decimal 1.000, but a Dutch spreadsheet means one thousand by it:
    // refused (the cheap character test keeps this off the path of ordinary cells)
    if (text.charCodeAt(text.length - 4) === dot && thousandsPattern.test(text))
      return { ok: false, message: notWholeNumber(value) }
    number = Number(text)
  } else {
    return { ok: false, message: notWholeNumber(value) }
  }
  if (!Number.isInteger(number))
    return { ok: false, message: `must be a whole number, got ${describe(value)}` }
  if (number < 0) return { ok: false, message: `must be 0 or more, got ${number}` }
  if (number > maxInteger)
    return { ok: false, message: `must be at most ${maxInteger}, got ${number}` }
  return { ok: true, value: number }
}

/**
 * A whole number written with thousands separators: `1.640` (Dutch), `1,640` (English), `1 640`
 * (a space, no-break space or narrow no-break space, as Excel and LibreOffice write them). The
 * groups after the first must have three digits, so `1.5` or `12,25` are decimals, not this.
 */
const dot = 46
const thousandsPattern = /^[+-]?\d{1,3}([., \u00A0\u202F])\d{3}(?:\1\d{3})*$/

const separatorNames: Record<string, string> = {
  '.': 'a thousands dot (".")',
  ',': 'a thousands comma (",")',
  ' ': 'a space as thousands separator',
  '\u00A0': 'a no-break space as thousands separator',
  '\u202F': 'a narrow no-break space as thousands separator',
}

/**
 * Why a cell is not a whole number. Only reached on a rejected cell, so the extra patterns cost
 * a valid upload nothing. `1.000` is refused too, although it could be the decimal 1.000: a
 * Dutch spreadsheet writes one thousand that way, and storing 1 would be silently wrong.
 */
function notWholeNumber(value: unknown): string {
  if (typeof value === 'string') {
    const text = value.trim()
    const thousands = thousandsPattern.exec(text)
    if (thousands) {
      const digits = text.replace(/[^\d+-]/g, '')
      return `must be a whole number without thousands separators, got ${describe(value)} with ${separatorNames[thousands[1]]}: write ${digits}`
    }
  }
  return `must be a whole number, got ${describe(value)}`
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
  /** How source headers map to snapshot columns (`?columns=`); undefined: headers are the names. */
  columns?: ColumnMapping
}

/**
 * Validates one upload, header first, then row by row. It keeps the identity of every row seen
 * so a duplicate `(area_code, period)` is blamed on its second occurrence.
 */
export class SnapshotValidator {
  private readonly seen = new Set<string>()
  private readonly currentIndex: number
  private columns: SnapshotColumn[] = []
  private readonly ignored: string[] = []

  constructor(private readonly options: SnapshotValidatorOptions) {
    this.currentIndex = quarterIndex(options.currentQuarter)
  }

  /**
   * The snapshot column a header name stands for: the mapping's target when it maps the name,
   * else the name itself when it is a snapshot column (case-insensitive). `null` when a mapping
   * is in use and the name is neither (ignored), undefined when no mapping is (unknown).
   */
  columnFor(rawName: string): SnapshotColumn | null | undefined {
    const name = rawName.trim().toLowerCase()
    const mapped = this.options.columns?.targets.get(name)
    if (mapped) return mapped
    if ((snapshotColumns as readonly string[]).includes(name)) return name as SnapshotColumn
    return this.options.columns ? null : undefined
  }

  /** The headers a mapping left out, as the upload spells them (never read, never stored). */
  get ignoredColumns(): readonly string[] {
    return this.ignored
  }

  /** Notes that a JSON element carried a column the mapping leaves out. */
  ignore(rawName: string): void {
    if (!this.ignored.includes(rawName)) this.ignored.push(rawName)
  }

  /**
   * Checks the header (CSV) or the first object's keys (JSON): case-insensitive names, mapped
   * through `columns` when given, no unknown or repeated column, every column of DESIGN.md §1
   * but `area_name` present. Returns the canonical column per position (undefined for a
   * rejected or ignored one) and the errors.
   */
  header(names: readonly string[]): {
    columns: (SnapshotColumn | undefined)[]
    errors: RowError[]
  } {
    const errors: RowError[] = []
    const columns: (SnapshotColumn | undefined)[] = []
    /** each column found, with the header that gave it */
    const present = new Map<SnapshotColumn, string>()
    for (const rawName of names) {
      const column = this.columnFor(rawName)
      if (column === undefined) {
        errors.push({
          row: 1,
          column: rawName,
          message: `unknown column "${rawName}": only ${snapshotColumns.join(', ')} are accepted (no person-level or other data)`,
        })
        columns.push(undefined)
      } else if (column === null) {
        this.ignore(rawName)
        columns.push(undefined)
      } else if (present.has(column)) {
        const earlier = present.get(column)!
        const both =
          earlier.trim().toLowerCase() === rawName.trim().toLowerCase()
            ? ''
            : ` (as "${earlier}" and as "${rawName}")`
        errors.push({
          row: 1,
          column,
          message: `column "${column}" appears more than once${both}`,
        })
        columns.push(undefined)
      } else {
        present.set(column, rawName)
        columns.push(column)
      }
    }
    for (const required of requiredColumns) {
      if (!present.has(required)) {
        errors.push({ row: 1, column: required, message: this.missingMessage(required) })
      }
    }
    this.columns = columns.filter((column): column is SnapshotColumn => column !== undefined)
    return { columns, errors }
  }

  /** What a missing required column is called, and where a mapping looks for it. */
  private missingMessage(column: SnapshotColumn): string {
    const mapping = this.options.columns
    if (!mapping) return `required column "${column}" is missing`
    const source = mapping.sources.get(column)
    const profile = mapping.name === 'custom' ? 'the column mapping' : `the ${mapping.name} profile`
    return source === undefined
      ? `required column "${column}" is missing: no header is named so and ${profile} maps none to it`
      : `required column "${column}" is missing: ${profile} reads it from a column "${source}", which the upload does not have`
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
      const capitals = areaCodePattern.test(rawCode.trim().toUpperCase())
      fail(
        errors,
        rowNumber,
        'area_code',
        capitals
          ? `${describe(rawCode)} is not a CBS area code: CBS writes its letters as capitals (${rawCode.trim().toUpperCase()})`
          : `${describe(rawCode)} is not a CBS area code (${areaCodeForms})`,
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
        fail(errors, rowNumber, 'period', notAQuarter(rawPeriod))
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

/**
 * Why a period is not a quarter. StatLine tables mix yearly (`2024JJ00`) and monthly (`2024MM07`)
 * figures with quarterly ones in the same `Perioden` column; those get named for what they are,
 * since a year or a month of counts is not a quarter's and must not be stored as one.
 */
function notAQuarter(rawPeriod: string): string {
  const accepted = 'use 2024Q3, 2024-Q3, 2024 Q3 or 2024KW03'
  const other = statLineNonQuarter(rawPeriod)
  if (other?.kind === 'year') {
    return `${describe(rawPeriod)} is a year (StatLine's JJ00), not a quarter: upload one row per quarter (${other.year}KW01 … ${other.year}KW04)`
  }
  if (other?.kind === 'month') {
    return `${describe(rawPeriod)} is a month (StatLine's MM), not a quarter: upload quarterly figures (this month falls in ${other.year}KW0${Math.ceil(other.month / 3)})`
  }
  return `${describe(rawPeriod)} is not a quarter (${accepted})`
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
