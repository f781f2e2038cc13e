import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { TZDate } from '@date-fns/tz'
import { quarterOfDate } from '../../models/periods/quarter.js'
import { AppError } from '../errors.js'
import { municipalityCode } from '../domain/areas.js'
import {
  ErrorList,
  countColumns,
  SnapshotValidator,
  snapshotColumns,
  type SnapshotColumn,
  type ValidSnapshotRow,
} from '../ingest/snapshot-validator.js'
import type { UploadRecord } from '../ingest/upload-records.js'
import type { ColumnMapping } from '../ingest/column-profiles.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import type { AreasRepository } from '../repositories/areas-repository.js'
import type { UploadSummary } from '../schemas/snapshots.js'

export interface ImportSnapshotsOptions {
  keyId: string | null
  /** The key's municipality; undefined for admin keys. */
  scope?: string
  contentType: 'csv' | 'json'
  maxRows: number
  /** SHA-256 of the upload's bytes, known once the records are consumed. */
  checksum: () => string
  /** "Today", for the no-future-quarter rule; defaults to now. */
  now?: Date
  /** Source header → snapshot column (`?columns=`); undefined: the headers are the names. */
  columns?: ColumnMapping
}

/** The current quarter as a calendar in Amsterdam sees it. */
export function currentQuarterInAmsterdam(now: Date = new Date()) {
  return quarterOfDate(new TZDate(now.getTime(), 'Europe/Amsterdam'))
}

/**
 * Checks the records of one upload as they come (DESIGN.md §1 and §3 "Uploads"): the header,
 * then row by row, counting errors, rows outside the key's scope and the rows themselves. It
 * never touches the database, so the caller can keep reading a rejected upload without one.
 */
class UploadCheck {
  readonly errors = new ErrorList()
  readonly outOfScope = new ErrorList()
  readonly areaNames = new Map<string, string | null>()
  rows = 0
  private columnsByPosition: (SnapshotColumn | undefined)[] = []
  private headerSeen = false
  private unreadableRows = 0
  /** The first record could not be read at all: whether anything followed is unknown. */
  private firstRecordUnreadable = false
  private emptinessChecked = false

  constructor(
    private readonly validator: SnapshotValidator,
    private readonly options: { maxRows: number; scope?: string },
  ) {}

  /** True once anything makes the upload fail: no row of it will be stored. */
  get rejected(): boolean {
    return this.errors.total > 0 || this.outOfScope.total > 0
  }

  /**
   * Takes one record; answers the valid row to stage while the upload is still clean. Throws a
   * 413 past AANWAS_MAX_ROWS.
   */
  take(record: UploadRecord): ValidSnapshotRow | undefined {
    if (record.kind === 'header') {
      this.headerSeen = true
      const header = this.validator.header(record.names)
      this.columnsByPosition = header.columns
      this.errors.add(header.errors)
      return undefined
    }
    if (record.kind === 'error') {
      if (record.row > 1) this.unreadableRows += 1
      else if (!this.headerSeen) this.firstRecordUnreadable = true
      this.errors.add([{ row: record.row, column: record.column, message: record.message }])
      return undefined
    }
    this.rows += 1
    if (this.rows > this.options.maxRows) {
      throw new AppError(
        413,
        'payload_too_large',
        `the upload has more than ${this.options.maxRows} rows (AANWAS_MAX_ROWS)`,
      )
    }
    const values = canonicalValues(record, this.columnsByPosition, this.validator, this.errors)
    const checked = this.validator.row(record.row, values)
    this.errors.add(checked.errors)
    if (checked.outOfScope) this.outOfScope.add([checked.outOfScope])
    if (!checked.row || this.rejected) return undefined
    const known = this.areaNames.get(checked.row.area_code)
    this.areaNames.set(checked.row.area_code, checked.row.area_name ?? known ?? null)
    return checked.row
  }

  /** After the last record: the upload's rejection (403 before 422), if it has one. */
  rejection(): AppError | undefined {
    if (
      !this.emptinessChecked &&
      this.rows === 0 &&
      this.unreadableRows === 0 &&
      !this.firstRecordUnreadable
    ) {
      this.emptinessChecked = true
      this.errors.add([
        {
          row: 1,
          column: null,
          message: this.headerSeen ? 'the upload has no data rows' : 'the upload is empty',
        },
      ])
    }
    if (this.outOfScope.total > 0) {
      return new AppError(
        403,
        'out_of_scope',
        `${this.outOfScope.total} row(s) lie outside this key's municipality ${this.options.scope}; nothing was stored`,
        { total: this.outOfScope.total, errors: this.outOfScope.errors },
      )
    }
    if (this.errors.total > 0) {
      return new AppError(
        422,
        'invalid_rows',
        `${this.errors.total} error(s) in the upload; nothing was stored`,
        { total: this.errors.total, errors: this.errors.errors },
      )
    }
    return undefined
  }
}

/** Thrown inside the transaction to roll it back once the upload is known to fail. */
class UploadRejected extends Error {}

/**
 * Stores one upload atomically (DESIGN.md §1 and §3 "Uploads"): validate every record, stage the
 * valid rows inside one transaction, and only when the whole upload is valid and in scope merge
 * it as revisions. Any failure throws and the transaction rolls back: nothing is half-stored.
 *
 * The transaction opens only at the first row worth staging, so an upload whose header or first
 * rows fail (a wrong column, unreadable bytes, broken quoting) never takes a connection; and it
 * ends at the first error, so the rest of a failing upload is read for its error list without
 * one (issue 14: bad uploads held a COPY, and so a pool connection, as long as they lasted).
 */
export async function importSnapshots(
  knex: Knex,
  repositories: { snapshots: SnapshotsRepository; areas: AreasRepository },
  records: AsyncIterable<UploadRecord> | Iterable<UploadRecord>,
  options: ImportSnapshotsOptions,
): Promise<UploadSummary> {
  const validator = new SnapshotValidator({
    currentQuarter: currentQuarterInAmsterdam(options.now),
    scope: options.scope,
    columns: options.columns,
  })
  const check = new UploadCheck(validator, options)
  const repository = repositories.snapshots
  const iterator =
    Symbol.asyncIterator in records ? records[Symbol.asyncIterator]() : records[Symbol.iterator]()
  const nextRecord = async (): Promise<UploadRecord | undefined> => {
    const next = await iterator.next()
    return next.done ? undefined : next.value
  }
  /** Reads to the end without the database, for the complete error list; then throws it. */
  const rejectRest = async (): Promise<never> => {
    for (let record = await nextRecord(); record; record = await nextRecord()) check.take(record)
    throw check.rejection() ?? new Error('importSnapshots: a rejected upload has no rejection')
  }

  try {
    // Up to the first row worth staging no connection is taken.
    let firstRow: ValidSnapshotRow | undefined
    while (!firstRow && !check.rejected) {
      const record = await nextRecord()
      if (!record) break
      firstRow = check.take(record)
    }
    if (!firstRow) return await rejectRest()
    const stagedFirst = firstRow

    let summary: UploadSummary | undefined
    try {
      summary = await knex.transaction(async (trx) => {
        const staging = await repository.openStaging(trx)
        try {
          await staging.add(stagedFirst)
          for (let record = await nextRecord(); record; record = await nextRecord()) {
            const row = check.take(record)
            if (row) await staging.add(row)
            else if (check.rejected) throw new UploadRejected()
          }
          const rejection = check.rejection()
          if (rejection) throw rejection
        } catch (error) {
          await staging.abort()
          throw error
        }
        await staging.finish()

        await repository.lockMunicipalities([...check.areaNames.keys()].map(municipalityCode), trx)
        const batchId = randomUUID()
        await repository.createBatch(
          {
            id: batchId,
            keyId: options.keyId,
            contentType: options.contentType,
            checksum: options.checksum(),
            rows: check.rows,
          },
          trx,
        )
        await repositories.areas.upsertAreas(check.areaNames, trx)
        const counts = await repository.mergeStaging(batchId, trx)
        await repository.finishBatch(batchId, counts, trx)
        const ignored = validator.ignoredColumns
        return {
          batch_id: batchId,
          rows: check.rows,
          ...counts,
          ...(ignored.length > 0 ? { ignored_columns: [...ignored] } : {}),
        }
      })
    } catch (error) {
      if (!(error instanceof UploadRejected)) throw error
    }
    return summary ?? (await rejectRest())
  } finally {
    // Stops the record source when this ended before it did (a 413, a database failure).
    await iterator.return?.()
  }
}

/**
 * Maps a record's raw values to canonical column names. CSV fields come by position (the header
 * decided the names); JSON keys are matched case-insensitively through the validator's column
 * mapping, and an unknown or absent key in any element is an error at that element (a key the
 * mapping leaves out is ignored, as its CSV column would be).
 */
function canonicalValues(
  record: Extract<UploadRecord, { kind: 'row' | 'fields' }>,
  columnsByPosition: readonly (SnapshotColumn | undefined)[],
  validator: SnapshotValidator,
  errors: ErrorList,
): Partial<Record<SnapshotColumn, unknown>> {
  const declared = validator.declaredColumns
  const values: Partial<Record<SnapshotColumn, unknown>> = {}
  if (record.kind === 'fields') {
    for (let position = 0; position < columnsByPosition.length; position += 1) {
      const column = columnsByPosition[position]
      if (column) values[column] = record.fields[position]
    }
    return values
  }
  const present = new Set<string>()
  for (const [key, value] of Object.entries(record.values)) {
    const column = validator.columnFor(key)
    if (column) {
      // Two keys of one element for one column (`Perioden` and `period`): the header check
      // reports it on the first element; on a later one it is this element's error.
      if (present.has(column) && record.row > 1) {
        errors.add([
          { row: record.row, column, message: `column "${column}" is given twice in this element` },
        ])
      }
      values[column] = value
      present.add(column)
    } else if (column === null) {
      validator.ignore(key)
    } else if (record.row > 1) {
      errors.add([
        {
          row: record.row,
          column: key,
          message: `unknown column "${key}": only ${snapshotColumns.join(', ')} are accepted`,
        },
      ])
    }
  }
  // Absent required keys are reported by the validator ("… is required"); an absent count
  // would silently become NULL, so it is an error here.
  if (record.row > 1) {
    for (const column of declared) {
      if (!present.has(column) && (countColumns as readonly string[]).includes(column)) {
        errors.add([
          { row: record.row, column, message: `column "${column}" is missing from this element` },
        ])
      }
    }
  }
  return values
}
