import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import { openDatabase, type Database, type DatabaseEngine } from '../db/open-database.js'
import { createPostgresProbe } from '../db/database-probe.js'

declare module 'fastify' {
  interface FastifyInstance {
    knex: Knex
    dbEngine: DatabaseEngine
    database: Database
    /** Answers when the database does; used by /health/ready and under-pressure. */
    pingDatabase(): Promise<void>
    /** The connection pool as it is now; used by /health/ready. */
    databasePool(): DatabasePoolState
  }
}

export interface DatabasePoolState {
  /** Most connections the pool opens (1 on the embedded engine). */
  size: number
  used: number
  free: number
  /** Queries and transactions waiting for a connection. */
  waiting: number
  /** How long the longest of them has waited, in ms (0 when none waits). */
  longestWaitMs: number
}

/**
 * Follows the knex pool (tarn): its counters, and when each acquire still waiting began, which
 * tarn does not keep. How long the oldest waiter has waited tells a pool that is exhausted (a
 * connection held by something that does not end) from one that is merely busy for a moment.
 */
function watchPool(knex: Knex): () => DatabasePoolState {
  const pool = knex.client.pool
  const waitingSince = new Map<number, number>()
  if (pool && 'on' in pool) {
    pool.on('acquireRequest', (eventId: number) => waitingSince.set(eventId, performance.now()))
    pool.on('acquireSuccess', (eventId: number) => waitingSince.delete(eventId))
    pool.on('acquireFail', (eventId: number) => waitingSince.delete(eventId))
  }
  return () => {
    if (!pool || !('numUsed' in pool))
      return { size: 0, used: 0, free: 0, waiting: 0, longestWaitMs: 0 }
    // A Map iterates in insertion order: the first entry is the oldest waiter.
    const oldest = waitingSince.values().next()
    return {
      size: pool.max,
      used: pool.numUsed(),
      free: pool.numFree(),
      waiting: pool.numPendingAcquires(),
      longestWaitMs: oldest.done ? 0 : Math.round(performance.now() - oldest.value),
    }
  }
}

const pingTimeoutMs = 2000

/**
 * The one knex instance of the process: PostgreSQL when DATABASE_URL is set, else the embedded
 * PGlite in AANWAS_DATA_DIR (locked to this process). Migrates to latest before the app starts.
 */
export default fp(
  async function db(fastify: FastifyInstance) {
    const { databaseUrl, dataDir } = fastify.config
    // Knex reports every failed connection attempt with its stack: during an outage that is one
    // per request, and the error handler already logs each refused request once. Its messages
    // go to our logger at debug level (deprecations at warn) instead of the console.
    const database = await openDatabase({
      databaseUrl,
      dataDir,
      log: {
        debug: (message: unknown) => fastify.log.debug({ knex: message }, 'knex'),
        warn: (message: unknown) => fastify.log.debug({ knex: message }, 'knex warning'),
        error: (message: unknown) => fastify.log.error({ knex: message }, 'knex error'),
        deprecate: (message: unknown) => fastify.log.warn({ knex: message }, 'knex deprecation'),
      },
    })
    fastify.decorate('database', database)
    fastify.decorate('knex', database.knex)
    fastify.decorate('dbEngine', database.engine)
    // PostgreSQL is probed on a connection of its own (see database-probe.ts); the embedded
    // engine lives in this process and answers through knex.
    const probe = databaseUrl ? createPostgresProbe(databaseUrl, pingTimeoutMs) : undefined
    const ping = probe ? () => probe.ping() : () => database.knex.raw('SELECT 1')
    fastify.decorate('databasePool', watchPool(database.knex))
    fastify.decorate('pingDatabase', async () => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('database ping timed out')), pingTimeoutMs)
      })
      try {
        await Promise.race([ping(), timeout])
      } finally {
        clearTimeout(timer)
      }
    })
    fastify.addHook('onClose', async () => {
      await probe?.close()
      await database.close()
    })
  },
  { name: 'db', dependencies: ['config'] },
)
