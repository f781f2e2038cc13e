import type { Writable } from 'node:stream'
import type { Knex } from 'knex'
import { from as copyFrom } from 'pg-copy-streams'

/**
 * Bulk writes into PostgreSQL with `COPY … FROM STDIN WITH (FORMAT csv)`, its cheapest way in:
 * the upload's staging rows and the audit log's batches. PGlite has no such stream; its callers
 * insert instead.
 */

/** A text cell: always quoted, so an empty string stays a string; NULL is an empty field. */
export function copyText(value: string | null): string {
  return value === null ? '' : `"${value.replaceAll('"', '""')}"`
}

/** A number cell; NULL is an empty field. */
export function copyNumber(value: number | null): string {
  return value === null ? '' : String(value)
}

/**
 * A COPY stream into `table (columns)` on a connection of `db`: a transaction's own connection
 * when `db` is a transaction (releasing it is then a no-op), else one from the pool, given back
 * by `release()` once the stream has ended or failed.
 */
export async function copyIn(
  db: Knex | Knex.Transaction,
  table: string,
  columns: readonly string[],
): Promise<{ stream: Writable; release: () => Promise<void> }> {
  const connection = (await db.client.acquireConnection()) as {
    query: (stream: Writable) => Writable
  }
  const stream = connection.query(
    copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`),
  )
  return { stream, release: () => db.client.releaseConnection(connection) }
}
