import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import pg from 'pg'
import {
  benchAuthorization,
  scratchDatabase,
  startBenchService,
  writeSnapshotCsv,
} from './support.js'
import type { BenchResult, Benchmark } from './types.js'

const headers = { authorization: benchAuthorization, 'content-type': 'text/csv' }

function post(url: string, file: string, onBytes?: (sent: number) => void) {
  let sent = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length
      onBytes?.(sent)
      done(null, chunk)
    },
  })
  return fetch(`${url}/v1/snapshots`, {
    method: 'POST',
    headers,
    body: Readable.toWeb(createReadStream(file).pipe(counter)) as unknown as BodyInit,
    duplex: 'half',
  } as RequestInit)
}

/**
 * Issue 10, point 1 at full size: SIGKILL of the service half-way through a 720,000-row upload
 * on PostgreSQL (the test suite does 60,000). After the kill no row and no batch of it may be
 * stored; after a restart the same upload lands exactly once, and a second identical retry
 * changes nothing. A broken invariant fails the bench; the figures are the restart time and the
 * retry's rate.
 */
const crashBenchmark: Benchmark = async ({ scale, log, serverUrl }) => {
  const areas = scale === 'small' ? 1250 : 15000
  const directory = mkdtempSync(join(tmpdir(), 'aanwas-bench-'))
  const file = join(directory, 'snapshots.csv')
  const database = await scratchDatabase(serverUrl)
  const client = new pg.Client({ connectionString: database.url })
  let service = await startBenchService(database.url)
  try {
    const rows = await writeSnapshotCsv(file, areas)
    const bytes = statSync(file).size
    await client.connect()
    const stored = async () => {
      const [snapshots, batches] = await Promise.all(
        ['snapshots', 'upload_batches'].map(async (table) =>
          Number((await client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n),
        ),
      )
      return { snapshots, batches }
    }

    log(`crash: killing the service half-way through a ${rows}-row upload`)
    const killed = service
    const upload = post(killed.url, file, (sent) => {
      if (sent >= bytes / 2 && killed.process.exitCode === null) killed.process.kill('SIGKILL')
    }).catch((error: unknown) => error)
    await new Promise((resolve) => killed.process.once('exit', resolve))
    const answer = await upload
    if (!(answer instanceof Error))
      throw new Error(`the killed upload answered ${(answer as Response).status}`)
    const afterKill = await stored()
    if (afterKill.snapshots !== 0 || afterKill.batches !== 0)
      throw new Error(`the killed upload left ${JSON.stringify(afterKill)}`)

    const restartStarted = performance.now()
    service = await startBenchService(database.url)
    const restartMs = performance.now() - restartStarted

    log('crash: retrying the same upload twice')
    const retryStarted = performance.now()
    const retried = await post(service.url, file)
    const retryMs = performance.now() - retryStarted
    const first = (await retried.json()) as { inserted?: number }
    if (retried.status !== 201 || first.inserted !== rows)
      throw new Error(`the retry answered ${retried.status} ${JSON.stringify(first)}`)
    const again = (await (await post(service.url, file)).json()) as { unchanged?: number }
    if (again.unchanged !== rows) throw new Error(`the second retry: ${JSON.stringify(again)}`)
    const final = await stored()
    if (final.snapshots !== rows || final.batches !== 2)
      throw new Error(`after the retries: ${JSON.stringify(final)}`)

    const results: BenchResult[] = [
      { name: 'crash_rows_after_kill', value: afterKill.snapshots, unit: 'rows' },
      { name: 'crash_restart_ms', value: Math.round(restartMs), unit: 'ms' },
      {
        name: 'crash_retry_rows_per_s',
        value: Math.round(rows / (retryMs / 1000)),
        unit: 'rows/s',
      },
    ]
    return results
  } finally {
    await service.stop()
    await client.end().catch(() => undefined)
    await database.drop()
    rmSync(directory, { recursive: true, force: true })
  }
}

export default crashBenchmark
