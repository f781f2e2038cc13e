import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import pg from 'pg'
import { migrationNames } from '../migrations/index.js'
import { openDatabase } from '../services/db/open-database.js'
import { buildServer } from '../services/server.js'
import type { AanwasConfig } from '../services/config.js'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js'

/**
 * Test support: every test file gets a database of its own on each engine (a PGlite copied from
 * a migrated template; on PostgreSQL a database created for the file), the app is built through
 * the same factory as the service, and tables are reset between tests.
 */
export type Engine = 'pglite' | 'postgres'

export const engines: Engine[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite']

export const testAdminKey = 'test-admin-key-0123456789abcdef'

const here = dirname(fileURLToPath(import.meta.url))
export const tmpRoot = join(here, '.tmp')
export const sharedDir = join(here, '..', '..', 'shared')

interface TapLike {
  teardown(fn: () => unknown): void
}

/** A migrated PGlite data directory built once per migration set and PGlite version. */
async function pgliteTemplate(): Promise<string> {
  const { version } = JSON.parse(
    readFileSync(
      join(here, '..', 'node_modules', '@electric-sql', 'pglite', 'package.json'),
      'utf8',
    ),
  ) as { version: string }
  const key = createHash('sha256')
    .update(migrationNames.join('\n'))
    .update(version)
    .digest('hex')
    .slice(0, 12)
  const template = join(tmpRoot, `pglite-template-${key}`)
  if (existsSync(join(template, 'pgdata', 'PG_VERSION'))) return template
  mkdirSync(tmpRoot, { recursive: true })
  const building = mkdtempSync(join(tmpRoot, 'building-'))
  const database = await openDatabase({ dataDir: building })
  await database.close()
  try {
    renameSync(building, template)
  } catch {
    // another test file finished the same template first
    rmSync(building, { recursive: true, force: true })
  }
  return template
}

/** A fresh migrated embedded data directory for one test file. */
export async function freshDataDir(t: TapLike): Promise<string> {
  const template = await pgliteTemplate()
  const dataDir = join(tmpRoot, `db-${process.pid}-${randomBytes(4).toString('hex')}`)
  cpSync(template, dataDir, { recursive: true })
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  return dataDir
}

/** A fresh database on the PostgreSQL server of TEST_DATABASE_URL, dropped at teardown. */
export async function freshPostgresUrl(t: TapLike): Promise<string> {
  const serverUrl = process.env.TEST_DATABASE_URL
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set')
  const name = `aanwas_t_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  t.teardown(async () => {
    const dropper = new pg.Client({ connectionString: serverUrl })
    await dropper.connect()
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await dropper.end()
  })
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Configuration for a database of the given engine, fresh for this test file. */
export async function freshDatabaseConfig(
  t: TapLike,
  engine: Engine,
): Promise<Partial<AanwasConfig>> {
  if (engine === 'postgres') return { databaseUrl: await freshPostgresUrl(t), dataDir: tmpRoot }
  return { databaseUrl: undefined, dataDir: await freshDataDir(t) }
}

export const testConfig: Partial<AanwasConfig> = {
  adminKey: testAdminKey,
  logLevel: 'silent',
  autoRecompute: false,
  demo: false,
  rateLimit: 100_000,
  keySecret: 'test-key-secret',
  // test webhook receivers listen on loopback
  webhookAllowPrivate: true,
}

export interface TestApp {
  app: FastifyInstance
  engine: Engine
  config: Partial<AanwasConfig>
  /** Authorization header for the bootstrap admin key. */
  admin: { authorization: string }
  /** Empties every data table (keys but the bootstrap one included). */
  reset(): Promise<void>
}

/** Tables emptied between tests, children first. */
const dataTables = [
  'webhook_deliveries',
  'webhook_outbox',
  'webhooks',
  'alerts',
  'alert_rules',
  'intervention_effects_cache',
  'intervention_areas',
  'interventions',
  'risk_scores',
  'model_runs',
  'snapshots',
  'upload_batches',
  'area_geometries',
  'area_links',
  'areas',
  'audit_log',
]

export async function resetTables(knex: Knex, flushAudit?: () => Promise<void>): Promise<void> {
  if (flushAudit) await flushAudit()
  await knex.raw(`TRUNCATE ${dataTables.join(', ')} CASCADE`)
  // emptied tables are changed data: answers cached under the old version must not be served
  await knex('data_version').where({ id: 1 }).increment('version', 1)
  await knex('api_keys').where({ bootstrap: false }).delete()
}

/** Builds the app on a fresh database of the engine; closed at teardown. */
export async function buildTestApp(
  t: TapLike,
  engine: Engine,
  overrides: Partial<AanwasConfig> = {},
): Promise<TestApp> {
  const config = { ...testConfig, ...(await freshDatabaseConfig(t, engine)), ...overrides }
  const app = await buildServer({ overrides: config, logger: false })
  t.teardown(() => app.close())
  return {
    app,
    engine,
    config,
    admin: { authorization: `Bearer ${config.adminKey}` },
    reset: () => resetTables(app.knex, app.flushAudit),
  }
}

export type Role = 'viewer' | 'analyst' | 'admin'

/** Creates an API key through the API; returns its id and an Authorization header. */
export async function createKey(
  app: FastifyInstance,
  admin: { authorization: string },
  role: Role,
  municipality?: string,
): Promise<{ id: string; key: string; headers: { authorization: string } }> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/keys',
    headers: admin,
    payload: { role, ...(municipality ? { municipality } : {}) },
  })
  if (response.statusCode !== 201) throw new Error(`createKey failed: ${response.body}`)
  const { id, key } = response.json() as { id: string; key: string }
  return { id, key, headers: { authorization: `Bearer ${key}` } }
}

/** The run resource as `app.inject(...).json()` gives it (untyped JSON, as tests read answers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RunJson = any

/**
 * Starts a model run through the API and waits until it has ended; answers the run resource.
 * Throws when the run is not accepted or does not end.
 */
export async function runModelToEnd(
  app: FastifyInstance,
  headers: { authorization: string },
  body: object = {},
): Promise<RunJson> {
  const accepted = await app.inject({
    method: 'POST',
    url: '/v1/risk-model/runs',
    headers,
    payload: body,
  })
  if (accepted.statusCode !== 202) throw new Error(accepted.body)
  const runId = accepted.json().run_id as string
  for (let attempt = 0; attempt < 600; attempt += 1) {
    await app.modelRunner.idle()
    const run = (
      await app.inject({ method: 'GET', url: `/v1/risk-model/runs/${runId}`, headers })
    ).json()
    if (run.status === 'succeeded' || run.status === 'failed') return run
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`run ${runId} did not finish`)
}

/**
 * The app on a fresh PostgreSQL database reached through a loopback TCP proxy that the test can
 * cut and restore (an outage without touching the shared server). Needs TEST_DATABASE_URL.
 */
export async function buildAppBehindProxy(
  t: TapLike,
  overrides: Partial<AanwasConfig> = {},
): Promise<{ app: FastifyInstance; proxy: TcpProxy }> {
  const url = new URL(await freshPostgresUrl(t))
  const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432))
  t.teardown(() => proxy.close())
  url.hostname = '127.0.0.1'
  url.port = String(proxy.port)
  const app = await buildServer({
    overrides: { ...testConfig, ...overrides, databaseUrl: url.toString() },
    logger: false,
  })
  t.teardown(() => app.close())
  return { app, proxy }
}
