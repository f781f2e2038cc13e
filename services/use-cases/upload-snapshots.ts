import { createHash } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import type { Knex } from 'knex'
import { AppError, payloadTooLarge } from '../errors.js'
import {
  csvUploadRecords,
  jsonUploadRecords,
  type UploadCharset,
} from '../ingest/upload-records.js'
import type { ColumnMapping } from '../ingest/column-profiles.js'
import type { AreasRepository } from '../repositories/areas-repository.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import type { UploadSummary } from '../schemas/snapshots.js'
import type { DataEvents } from './data-events.js'
import { importSnapshots } from './import-snapshots.js'

/**
 * Uploading snapshots (DESIGN.md §1 and §3 "Uploads"), the same story for the HTTP route and the
 * CLI's direct import: read the upload (CSV as a stream, hashed and metered on the way; JSON as
 * parsed), store it all or nothing (`importSnapshots`), and when it changed data say so
 * (`snapshots-changed`), so alert evaluation, the automatic recompute and the caches follow the
 * same way whoever uploaded.
 */
export interface UploadDependencies {
  knex: Knex
  snapshotsRepository: SnapshotsRepository
  areasRepository: AreasRepository
  dataEvents: DataEvents
  limits: {
    /** AANWAS_BODY_LIMIT_MB in bytes */
    bodyLimitBytes: number
    /** AANWAS_MAX_ROWS */
    maxRows: number
    /** AANWAS_UPLOAD_IDLE_MS; undefined for a local file (it never stalls) */
    idleMs?: number
  }
}

/**
 * What is uploaded and how to read it: `columns` maps source headers to snapshot columns
 * (`?columns=`, `--columns`), `charset` is the CSV's character set (default UTF-8).
 */
export type UploadSource =
  | { format: 'csv'; stream: Readable; columns?: ColumnMapping; charset?: UploadCharset }
  | { format: 'json'; body: unknown; columns?: ColumnMapping }

export interface Uploader {
  /** the uploading key; null for an operator's local import */
  keyId: string | null
  /** the key's municipality; undefined for admin keys and local imports */
  scope?: string
}

/** Counts bytes and hashes them on the way to the parser; too many bytes is a 413. */
function meteredStream(source: Readable, limitBytes: number) {
  const hash = createHash('sha256')
  let bytes = 0
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      if (bytes > limitBytes) {
        callback(
          payloadTooLarge(
            `the upload is larger than ${limitBytes / 1024 / 1024} MB (AANWAS_BODY_LIMIT_MB)`,
          ),
        )
        return
      }
      hash.update(chunk)
      callback(null, chunk)
    },
  })
  source.on('error', (error) => meter.destroy(error))
  source.pipe(meter)
  return { stream: meter, checksum: () => hash.digest('hex') }
}

export async function uploadSnapshots(
  dependencies: UploadDependencies,
  source: UploadSource,
  uploader: Uploader,
): Promise<UploadSummary> {
  const { knex, snapshotsRepository, areasRepository, dataEvents, limits } = dependencies
  const repositories = { snapshots: snapshotsRepository, areas: areasRepository }
  const common = {
    keyId: uploader.keyId,
    scope: uploader.scope,
    maxRows: limits.maxRows,
    columns: source.columns,
  }
  let summary: UploadSummary
  if (source.format === 'csv') {
    const metered = meteredStream(source.stream, limits.bodyLimitBytes)
    summary = await importSnapshots(
      knex,
      repositories,
      csvUploadRecords(metered.stream, { idleMs: limits.idleMs, charset: source.charset }),
      { ...common, contentType: 'csv', checksum: metered.checksum },
    )
  } else if (source.format === 'json') {
    const checksum = () => createHash('sha256').update(JSON.stringify(source.body)).digest('hex')
    summary = await importSnapshots(knex, repositories, jsonUploadRecords(source.body), {
      ...common,
      contentType: 'json',
      checksum,
    })
  } else {
    throw new AppError(415, 'unsupported_media_type', 'send text/csv or application/json')
  }
  const changed = summary.inserted + summary.revised
  if (changed > 0) {
    await dataEvents.emit('snapshots-changed', {
      batchId: summary.batch_id,
      keyId: uploader.keyId,
      changed,
    })
  }
  return summary
}
