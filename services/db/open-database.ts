import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import knexFactory, { type Knex } from 'knex'
import ClientPGLite from 'knex-pglite'
import pg from 'pg'
import { migrationSource } from '../../migrations/index.js'

// int8 (count(*), bigserial ids) as JavaScript numbers: every such value here stays far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

export type DatabaseEngine = 'postgres' | 'pglite'

export interface Database {
  knex: Knex
  engine: DatabaseEngine
  /** The embedded instance, when the engine is PGlite. */
  pglite?: PGlite
  close(): Promise<void>
}

/** The embedded data directory is already held by another live process. */
export class DataDirectoryInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data directory ${dataDir} is in use by process ${pid} (an Aanwas service); ` +
        'stop it first, or point the command at the running service with AANWAS_URL and AANWAS_API_KEY',
    )
    this.name = 'DataDirectoryInUseError'
  }
}

/** The embedded data directory exists but PGlite cannot open it. */
export class DataDirectoryDamagedError extends Error {
  constructor(dataDir: string, cause: unknown) {
    super(
      `the embedded database in ${dataDir} cannot be opened (${cause instanceof Error ? cause.message : String(cause)}); ` +
        'it may be damaged by an unclean stop: restore it from a backup or move it away to start empty',
    )
    this.name = 'DataDirectoryDamagedError'
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes the data directory's lock file, or throws naming the process that holds it. A lock left
 * by a process that no longer runs (a crash) is taken over.
 */
function takeLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true })
  const lockPath = join(dataDir, 'aanwas.lock')
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' })
      return () => rmSync(lockPath, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number(readFileSync(lockPath, 'utf8').trim())
      if (
        Number.isInteger(holder) &&
        holder > 0 &&
        holder !== process.pid &&
        processIsAlive(holder)
      ) {
        throw new DataDirectoryInUseError(dataDir, holder)
      }
      rmSync(lockPath, { force: true })
    }
  }
  throw new Error(`cannot take the lock file in ${dataDir}`)
}

/** Reads who holds an embedded data directory, if anyone alive does. */
export function dataDirectoryHolder(dataDir: string): number | undefined {
  const lockPath = join(dataDir, 'aanwas.lock')
  if (!existsSync(lockPath)) return undefined
  const holder = Number(readFileSync(lockPath, 'utf8').trim())
  return Number.isInteger(holder) && holder > 0 && processIsAlive(holder) ? holder : undefined
}

export interface OpenDatabaseOptions {
  databaseUrl?: string
  dataDir: string
  /** Pool size on PostgreSQL. */
  poolMax?: number
  /** Where knex's own messages go (by default it prints them to the console). */
  log?: Knex.Config['log']
}

/**
 * Opens the system of record: knex on PostgreSQL when a URL is given, else knex on an embedded
 * PGlite kept in `<dataDir>/pgdata` and guarded by `<dataDir>/aanwas.lock`. Migrates to latest.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: options.databaseUrl, connectionTimeoutMillis: 5000 },
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
      log: options.log,
    })
    try {
      await knex.migrate.latest({ migrationSource })
    } catch (error) {
      await knex.destroy()
      throw error
    }
    return { knex, engine: 'postgres', close: () => knex.destroy() }
  }

  const releaseLock = takeLock(options.dataDir)
  const pgdata = join(options.dataDir, 'pgdata')
  const existed = existsSync(join(pgdata, 'PG_VERSION'))
  let pglite: PGlite
  try {
    pglite = await PGlite.create(pgdata)
  } catch (error) {
    releaseLock()
    if (existed) throw new DataDirectoryDamagedError(options.dataDir, error)
    throw error
  }
  const knex = knexFactory({
    client: ClientPGLite,
    dialect: 'postgres',
    connection: { pglite } as unknown as Knex.StaticConnectionConfig,
  })
  const close = async () => {
    try {
      await knex.destroy()
      if (!pglite.closed) await pglite.close()
    } finally {
      releaseLock()
    }
  }
  try {
    await knex.migrate.latest({ migrationSource })
  } catch (error) {
    await close()
    throw error
  }
  return { knex, engine: 'pglite', pglite, close }
}
