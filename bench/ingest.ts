import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { scratchDatabase, startBenchService, uploadSnapshots, writeSnapshotCsv } from './support.js'
import { withBaseline, type Benchmark } from './types.js'

/**
 * `ingest_rows_per_s` and `ingest_peak_rss_mb` (DESIGN.md §4): the CSV through
 * `POST /v1/snapshots` of a separate service process into an empty PostgreSQL store, timed from
 * request start to the 201 after commit; baseline a plain COPY of the same file into an
 * unindexed table with the same columns, in the same run.
 */
const ingestBenchmark: Benchmark = async ({ scale, log, serverUrl }) => {
  const areas = scale === 'small' ? 1000 : 15000
  const directory = mkdtempSync(join(tmpdir(), 'aanwas-bench-'))
  const file = join(directory, 'snapshots.csv')
  const database = await scratchDatabase(serverUrl)
  try {
    log(`ingest: writing ${areas * 48} rows`)
    const rows = await writeSnapshotCsv(file, areas)

    log('ingest: baseline COPY into an unindexed table')
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    await client.query(`CREATE TABLE copy_baseline (
      area_code text, area_name text, period text, youth_population integer, early_school_leavers integer,
      halt_registrations integer, parental_debt integer, drug_offence_suspects integer)`)
    const copyStart = performance.now()
    await pipeline(
      createReadStream(file),
      client.query(copyFrom('COPY copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true)')),
    )
    const copySeconds = (performance.now() - copyStart) / 1000
    await client.query('DROP TABLE copy_baseline')
    await client.end()

    log('ingest: starting the service on the empty store')
    const service = await startBenchService(database.url)
    try {
      log('ingest: POST /v1/snapshots')
      const start = performance.now()
      const summary = await uploadSnapshots(service.url, { file })
      const seconds = (performance.now() - start) / 1000
      log(`ingest: ${JSON.stringify(summary)}`)
      const peak = service.peakRssMb()
      return [
        withBaseline(
          'ingest_rows_per_s',
          Math.round(rows / seconds),
          'rows/s',
          Math.round(rows / copySeconds),
        ),
        { name: 'ingest_peak_rss_mb', value: Math.round(peak), unit: 'MB' },
      ]
    } finally {
      await service.stop()
    }
  } finally {
    await database.drop()
    rmSync(directory, { recursive: true, force: true })
  }
}

export default ingestBenchmark
