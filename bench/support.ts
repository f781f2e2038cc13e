import { randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createWriteStream, readFileSync } from 'node:fs'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { mkdtempSync, rmSync, createReadStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { Readable } from 'node:stream'
import { join } from 'node:path'
import { buildServer } from '../services/server.js'
import { importSnapshots } from '../services/use-cases/import-snapshots.js'
import { csvUploadRecords } from '../services/ingest/upload-records.js'
import type { AanwasConfig } from '../services/config.js'

/** A scratch database on the bench server, dropped by `drop()`. */
export async function scratchDatabase(
  serverUrl: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `aanwas_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: serverUrl })
      await dropper.connect()
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await dropper.end()
    },
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** The admin key every benchmark's service starts with, and its Authorization header. */
export const benchAdminKey = 'bench-admin-key'
export const benchAuthorization = `Bearer ${benchAdminKey}`

/**
 * A service process on `databaseUrl` for a benchmark: the bench admin key, no automatic model
 * runs, a rate limit no load reaches; `env` adds or overrides variables.
 */
export function startBenchService(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<RunningService> {
  return startService({
    DATABASE_URL: databaseUrl,
    AANWAS_ADMIN_KEY: benchAdminKey,
    AANWAS_AUTO_RECOMPUTE: '0',
    AANWAS_RATE_LIMIT: '100000000',
    ...env,
  })
}

/**
 * `POST /v1/snapshots` of a CSV text or file (streamed) with the bench admin key; throws with
 * the answer's start unless it is 201. Answers the upload summary.
 */
export async function uploadSnapshots(
  serviceUrl: string,
  csv: { text: string } | { file: string },
): Promise<{ rows: number; inserted: number }> {
  const response = await fetch(`${serviceUrl}/v1/snapshots`, {
    method: 'POST',
    headers: { authorization: benchAuthorization, 'content-type': 'text/csv' },
    body:
      'text' in csv
        ? csv.text
        : (Readable.toWeb(createReadStream(csv.file)) as unknown as BodyInit),
    duplex: 'half',
  } as RequestInit)
  const body = await response.text()
  if (response.status !== 201)
    throw new Error(`upload answered ${response.status}: ${body.slice(0, 500)}`)
  return JSON.parse(body) as { rows: number; inserted: number }
}

export interface RunningService {
  url: string
  process: ChildProcess
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number
  stop(): Promise<void>
}

/** Starts `aanwas serve` as its own process (so its memory is measured alone) and waits for it. */
export async function startService(env: Record<string, string>): Promise<RunningService> {
  const port = await freePort()
  const cli = fileURLToPath(new URL('../bin/aanwas.js', import.meta.url))
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AANWAS_DEMO: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  for (let attempt = 0; ; attempt += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) break
    } catch {
      // not listening yet
    }
    if (attempt > 600 || child.exitCode !== null) throw new Error('the service did not start')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    process: child,
    peakRssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const match = /VmHWM:\s+(\d+) kB/.exec(status)
      return match ? Number(match[1]) / 1024 : Number.NaN
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

const header =
  'area_code,area_name,period,youth_population,early_school_leavers,halt_registrations,parental_debt,drug_offence_suspects\n'

/** Writes `areas` neighbourhoods × 48 quarters (2013Q1–2024Q4) of plausible rows. */
export async function writeSnapshotCsv(path: string, areas: number): Promise<number> {
  const out = createWriteStream(path)
  out.write(header)
  let seed = 12345
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  let rows = 0
  let buffer = ''
  for (let area = 0; area < areas; area += 1) {
    const municipality = 100 + Math.floor(area / 50)
    const code = `BU${String(municipality).padStart(4, '0')}${String(Math.floor((area % 50) / 10) + 1).padStart(2, '0')}${String((area % 10) + 1).padStart(2, '0')}`
    const population = 50 + Math.floor(random() * 900)
    for (let year = 2013; year <= 2024; year += 1) {
      for (let quarter = 1; quarter <= 4; quarter += 1) {
        const count = (share: number) => Math.floor(population * share * random())
        buffer += `${code},Buurt ${area},${year}Q${quarter},${population},${count(0.08)},${count(0.05)},${count(0.3)},${count(0.02)}\n`
        rows += 1
      }
    }
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain')
      buffer = ''
    }
  }
  out.end(buffer)
  await once(out, 'finish')
  return rows
}

/**
 * The app in this process on a scratch database holding `areas` neighbourhoods × 48 quarters,
 * loaded through the import use case; `close` drops everything. For benchmarks that time one
 * step after the data is in (recompute, alert evaluation).
 */
export async function loadedApp(
  serverUrl: string,
  areas: number,
  log: (message: string) => void,
  overrides: Partial<AanwasConfig> = {},
): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), 'aanwas-bench-'))
  const file = join(directory, 'snapshots.csv')
  const database = await scratchDatabase(serverUrl)
  const app = await buildServer({
    overrides: {
      databaseUrl: database.url,
      adminKey: benchAdminKey,
      autoRecompute: false,
      logLevel: 'warn',
      ...overrides,
    },
    logger: false,
  })
  const close = async () => {
    await app.close()
    await database.drop()
    rmSync(directory, { recursive: true, force: true })
  }
  try {
    log(`loading ${areas * 48} rows`)
    await writeSnapshotCsv(file, areas)
    await importSnapshots(
      app.knex,
      { snapshots: app.snapshotsRepository, areas: app.areasRepository },
      csvUploadRecords(createReadStream(file)),
      { keyId: null, contentType: 'csv', maxRows: 10_000_000, checksum: () => 'bench' },
    )
    return { app, close }
  } catch (error) {
    await close()
    throw error
  }
}
