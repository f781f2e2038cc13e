import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import { openDatabase, type Database, type DatabaseEngine } from '../../db/open-database.js'
import { createPostgresProbe } from '../../db/database-probe.js'

declare module 'fastify' {
  interface FastifyInstance {
    knex: Knex
    dbEngine: DatabaseEngine
    database: Database
    /** Answers when the database does; used by /health/ready and under-pressure. */
    pingDatabase(): Promise<void>
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
