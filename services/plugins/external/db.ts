import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import { openDatabase, type Database, type DatabaseEngine } from '../../db/open-database.js'

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
    const database = await openDatabase({ databaseUrl, dataDir })
    fastify.decorate('database', database)
    fastify.decorate('knex', database.knex)
    fastify.decorate('dbEngine', database.engine)
    fastify.decorate('pingDatabase', async () => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('database ping timed out')), pingTimeoutMs)
      })
      try {
        await Promise.race([database.knex.raw('SELECT 1'), timeout])
      } finally {
        clearTimeout(timer)
      }
    })
    fastify.addHook('onClose', async () => {
      await database.close()
    })
  },
  { name: 'db', dependencies: ['config'] },
)
