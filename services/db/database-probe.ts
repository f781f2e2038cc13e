import pg from 'pg'

export interface DatabaseProbe {
  /** Resolves when `SELECT 1` answers within the timeout; rejects otherwise. */
  ping(): Promise<void>
  close(): Promise<void>
}

/**
 * Reachability of PostgreSQL on one connection of its own, outside the knex pool: a pool that is
 * busy (an upload, a model run, a burst of trend reads) must not read as "database down", and a
 * database that is down must read as down within the timeout even when the pool would queue the
 * ping behind requests that are themselves waiting. A connection that failed once is dropped
 * and the next ping opens a new one, so the probe recovers with the database.
 */
export function createPostgresProbe(connectionString: string, timeoutMs: number): DatabaseProbe {
  let client: pg.Client | undefined
  let connecting: Promise<pg.Client> | undefined

  const drop = (failed: pg.Client) => {
    if (client === failed) client = undefined
    // Not awaited: against a server that stopped answering, ending could wait for ever.
    failed.end().catch(() => undefined)
  }

  const connected = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client)
    connecting ??= (async () => {
      const fresh = new pg.Client({
        connectionString,
        connectionTimeoutMillis: timeoutMs,
        query_timeout: timeoutMs,
        application_name: 'aanwas-health',
      })
      fresh.on('error', () => drop(fresh))
      try {
        await fresh.connect()
      } catch (error) {
        drop(fresh)
        throw error
      }
      client = fresh
      return fresh
    })().finally(() => {
      connecting = undefined
    })
    return connecting
  }

  return {
    async ping() {
      const current = await connected()
      try {
        await current.query('SELECT 1')
      } catch (error) {
        drop(current)
        throw error
      }
    },
    async close() {
      const current = client
      client = undefined
      if (current) await current.end().catch(() => undefined)
    },
  }
}
