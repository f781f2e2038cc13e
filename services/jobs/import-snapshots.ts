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
} from '../ingest/snapshot-validator.js'
import type { UploadRecord } from '../ingest/upload-records.js'
import type { SnapshotsRepository } from '../plugins/app/snapshots/snapshots-repository.js'
import type { AreasRepository } from '../plugins/app/areas/areas-repository.js'
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
}

/** The current quarter as a calendar in Amsterdam sees it. */
export function currentQuarterInAmsterdam(now: Date = new Date()) {
  return quarterOfDate(new TZDate(now.getTime(), 'Europe/Amsterdam'))
}

/**
 * Stores one upload atomically (DESIGN.md §1 and §3 "Uploads"): validate every record, stage the
 * valid rows inside one transaction, and only when the whole upload is valid and in scope merge
 * it as revisions. Any failure throws and the transaction rolls back: nothing is half-stored.
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
  })
  const repository = repositories.snapshots
  const errors = new ErrorList()
  const outOfScope = new ErrorList()

  return knex.transaction(async (trx) => {
    const staging = await repository.openStaging(trx)
    const areaNames = new Map<string, string | null>()
    let columnsByPosition: (SnapshotColumn | undefined)[] = []
    let headerSeen = false
    let rows = 0
    let unreadableRows = 0
    try {
      for await (const record of records) {
        if (record.kind === 'header') {
          headerSeen = true
          const header = validator.header(record.names)
          columnsByPosition = header.columns
          errors.add(header.errors)
          continue
        }
        if (record.kind === 'error') {
          if (record.row > 1) unreadableRows += 1
          errors.add([{ row: record.row, column: record.column, message: record.message }])
          continue
        }
        rows += 1
        if (rows > options.maxRows) {
          throw new AppError(
            413,
            'payload_too_large',
            `the upload has more than ${options.maxRows} rows (AANWAS_MAX_ROWS)`,
          )
        }
        const values = canonicalValues(record, columnsByPosition, validator.declaredColumns, errors)
        const checked = validator.row(record.row, values)
        errors.add(checked.errors)
        if (checked.outOfScope) outOfScope.add([checked.outOfScope])
        if (checked.row && errors.total === 0 && outOfScope.total === 0) {
          await staging.add(checked.row)
          const known = areaNames.get(checked.row.area_code)
          areaNames.set(checked.row.area_code, checked.row.area_name ?? known ?? null)
        }
      }
      if (rows === 0 && unreadableRows === 0) {
        errors.add([
          {
            row: 1,
            column: null,
            message: headerSeen ? 'the upload has no data rows' : 'the upload is empty',
          },
        ])
      }
    } catch (error) {
      await staging.abort()
      throw error
    }
    if (outOfScope.total > 0) {
      await staging.abort()
      throw new AppError(
        403,
        'out_of_scope',
        `${outOfScope.total} row(s) lie outside this key's municipality ${options.scope}; nothing was stored`,
        {
          total: outOfScope.total,
          errors: outOfScope.errors,
        },
      )
    }
    if (errors.total > 0) {
      await staging.abort()
      throw new AppError(
        422,
        'invalid_rows',
        `${errors.total} error(s) in the upload; nothing was stored`,
        {
          total: errors.total,
          errors: errors.errors,
        },
      )
    }
    await staging.finish()

    await repository.lockMunicipalities([...areaNames.keys()].map(municipalityCode), trx)
    const batchId = randomUUID()
    await repository.createBatch(
      {
        id: batchId,
        keyId: options.keyId,
        contentType: options.contentType,
        checksum: options.checksum(),
        rows,
      },
      trx,
    )
    await repositories.areas.upsertAreas(areaNames, trx)
    const counts = await repository.mergeStaging(batchId, trx)
    await repository.finishBatch(batchId, counts, trx)
    return { batch_id: batchId, rows, ...counts }
  })
}

/**
 * Maps a record's raw values to canonical column names. CSV fields come by position (the header
 * decided the names); JSON keys are matched case-insensitively, and an unknown or absent key in
 * any element is an error at that element.
 */
function canonicalValues(
  record: Extract<UploadRecord, { kind: 'row' | 'fields' }>,
  columnsByPosition: readonly (SnapshotColumn | undefined)[],
  declared: readonly SnapshotColumn[],
  errors: ErrorList,
): Partial<Record<SnapshotColumn, unknown>> {
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
    const name = key.trim().toLowerCase()
    if ((snapshotColumns as readonly string[]).includes(name)) {
      values[name as SnapshotColumn] = value
      present.add(name)
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
