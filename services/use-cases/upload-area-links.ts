import type { Knex } from 'knex'
import { AppError } from '../errors.js'
import { Readable } from 'node:stream'
import { validateAreaLinks, type AreaLinkRowError } from '../ingest/area-link-validator.js'
import { csvUploadRecords } from '../ingest/upload-records.js'
import type { AreaLinksRepository } from '../repositories/area-links-repository.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import type { DataEvents } from './data-events.js'

/**
 * `POST /v1/area-links` as a story (issue 16): read the rows (CSV text or a JSON array), check
 * every rule on every row (services/ingest/area-link-validator.ts), then in one transaction
 * replace the links of the areas given and move the data version — series bridged through the
 * links change, so answers cached under the old version must not be served — and tell the
 * listeners. A rejected upload stores nothing and lists every row error.
 */

export interface UploadAreaLinksDependencies {
  knex: Knex
  areaLinksRepository: AreaLinksRepository
  snapshotsRepository: SnapshotsRepository
  dataEvents: DataEvents
}

export type AreaLinksBody = { format: 'csv'; bytes: Buffer } | { format: 'json'; body: unknown }

export interface AreaLinksSummary {
  stored: number
  /** earlier links of the same areas that these replaced */
  replaced: number
  /** (from_year, from_code) areas the upload gave links for */
  areas: number
}

function rejected(total: number, errors: AreaLinkRowError[]): AppError {
  return new AppError(
    422,
    'invalid_rows',
    `${total} error(s) in the area links; nothing was stored`,
    { total, errors },
  )
}

export async function uploadAreaLinks(
  dependencies: UploadAreaLinksDependencies,
  body: AreaLinksBody,
  caller: { keyId: string | null },
): Promise<AreaLinksSummary> {
  let records: Record<string, unknown>[] = []
  let rowNumbers: number[]
  let header: string[] | undefined
  if (body.format === 'csv') {
    // the snapshot upload's reader: delimiter, BOM, UTF-8 and row numbers as for snapshots
    rowNumbers = []
    const unreadable: AreaLinkRowError[] = []
    for await (const record of csvUploadRecords(Readable.from([body.bytes]))) {
      if (record.kind === 'header') {
        header = record.names.map((name) => name.trim().toLowerCase())
      } else if (record.kind === 'error') {
        unreadable.push({ row: record.row, column: record.column, message: record.message })
      } else {
        const names = header ?? []
        records.push(
          record.kind === 'fields'
            ? Object.fromEntries(names.map((name, i) => [name, record.fields[i]]))
            : Object.fromEntries(
                Object.entries(record.values).map(([name, value]) => [
                  name.trim().toLowerCase(),
                  value,
                ]),
              ),
        )
        rowNumbers.push(record.row)
      }
    }
    if (unreadable.length > 0) throw rejected(unreadable.length, unreadable.slice(0, 100))
    header ??= []
  } else {
    if (!Array.isArray(body.body)) {
      throw rejected(1, [
        { row: 1, column: null, message: 'the body must be a JSON array of link objects' },
      ])
    }
    const notObjects = body.body.flatMap((element, index) =>
      element === null || typeof element !== 'object' || Array.isArray(element)
        ? [{ row: index + 1, column: null, message: 'each element must be a link object' }]
        : [],
    )
    if (notObjects.length > 0) throw rejected(notObjects.length, notObjects.slice(0, 100))
    records = body.body as Record<string, unknown>[]
    rowNumbers = records.map((_, index) => index + 1)
  }
  const validation = validateAreaLinks(records, rowNumbers, header)
  if (!validation.ok) throw rejected(validation.total, validation.errors)

  const { links } = validation
  const result = await dependencies.knex.transaction(async (trx) => {
    const stored = await dependencies.areaLinksRepository.replaceFor(
      links,
      'upload',
      caller.keyId,
      trx,
    )
    await dependencies.snapshotsRepository.moveDataVersion(trx)
    return stored
  })
  await dependencies.dataEvents.emit('area-links-changed', {
    keyId: caller.keyId,
    stored: result.stored,
  })
  return {
    ...result,
    areas: new Set(links.map((link) => `${link.from_year}|${link.from_code}`)).size,
  }
}
