import { badRequest } from '../../../errors.js'
import { columnMapping, type ColumnMapping } from '../../../ingest/column-profiles.js'
import { uploadCharsets, type UploadCharset } from '../../../ingest/upload-records.js'

const accepted = ['columns', 'charset']

/**
 * Reads the query of `POST /v1/snapshots` (`SnapshotUploadQuerySchema` documents it). The route's
 * validator is off, since the body is read by hand and must be neither coerced nor stripped, so
 * the query is checked here: an unknown or repeated parameter, an unknown charset or a bad
 * column mapping is a 400 before any byte of the body is read.
 */
export function snapshotUploadParameters(query: unknown): {
  columns?: ColumnMapping
  charset: UploadCharset
} {
  const parameters = (query ?? {}) as Record<string, unknown>
  const unknown = Object.keys(parameters).filter((name) => !accepted.includes(name))
  if (unknown.length > 0) {
    throw badRequest(
      `unknown query parameter ${unknown.map((name) => `"${name}"`).join(', ')}; accepted are ${accepted.join(' and ')}`,
    )
  }
  const { columns, charset } = parameters
  if (columns !== undefined && typeof columns !== 'string') {
    throw badRequest('columns must be given once')
  }
  if (charset !== undefined && typeof charset !== 'string') {
    throw badRequest('charset must be given once')
  }
  const name = (charset ?? 'utf-8').trim().toLowerCase()
  // `utf8` and `cp1252` are how people and Python spell them
  const spelled: Record<string, UploadCharset> = { utf8: 'utf-8', cp1252: 'windows-1252' }
  const known = spelled[name] ?? uploadCharsets.find((candidate) => candidate === name)
  if (!known) {
    throw badRequest(
      `charset ${JSON.stringify(charset)} is not supported: send UTF-8 (the default) or windows-1252`,
    )
  }
  return { columns: columnMapping(columns), charset: known }
}
