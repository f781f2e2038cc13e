import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { freshPostgresUrl, testAdminKey } from '../../helper.js'
import { fullHeader } from '../../support/snapshot-fixtures.js'
import { riskPanel } from '../../support/risk-fixtures.js'
import { csvOf } from '../../support/snapshot-fixtures.js'
import { freePort } from '../../../bench/support.js'

/**
 * SIGKILL in the middle of work (PostgreSQL): an upload is all there or not there, and the same
 * upload retried lands exactly once; a model run killed mid-way is marked failed at the next
 * start and the next run succeeds. Here 60,000 rows; the full 720,000 run in
 * `npm run bench -- --only crash`.
 */
const cli = fileURLToPath(new URL('../../../bin/aanwas.js', import.meta.url))
const headers = { authorization: `Bearer ${testAdminKey}` }

async function startService(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      AANWAS_ADMIN_KEY: testAdminKey,
      AANWAS_AUTO_RECOMPUTE: '0',
      AANWAS_DEMO: '0',
      LOG_LEVEL: 'error',
    },
    stdio: 'ignore',
  })
  const url = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 300; attempt += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, child }
    } catch {
      // starting
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error('the service did not start')
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

function bigCsv(rows: number): string {
  const lines = [fullHeader]
  for (let index = 0; index < rows; index += 1) {
    const area = Math.floor(index / 40)
    const year = 2015 + Math.floor((index % 40) / 4)
    lines.push(`BU0518${String(area).padStart(4, '0')},,${year}Q${(index % 4) + 1},200,10,5,30,2`)
  }
  return lines.join('\n') + '\n'
}

t.test(
  'crash safety',
  { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set' },
  async (t) => {
    const databaseUrl = await freshPostgresUrl(t)
    const database = new pg.Client({ connectionString: databaseUrl })
    t.teardown(() => database.end())
    const count = async (table: string) => {
      const exists = await database.query(`SELECT to_regclass($1) AS name`, [table])
      if (!exists.rows[0].name) return 0
      return Number((await database.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n)
    }

    t.test(
      'when the service is killed mid-upload, then the batch is absent and a retry lands exactly once',
      async (t) => {
        const body = bigCsv(60_000)
        let service = await startService(databaseUrl)
        await database.connect()
        // Stream the body slowly so the kill lands while rows are being staged.
        const encoder = new TextEncoder()
        const bytes = encoder.encode(body)
        let sent = 0
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (sent >= bytes.length) return controller.close()
            const chunk = bytes.subarray(sent, sent + 64 * 1024)
            sent += chunk.length
            controller.enqueue(chunk)
            await new Promise((resolve) => setTimeout(resolve, 5))
          },
        })
        const upload = fetch(`${service.url}/v1/snapshots`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'text/csv' },
          body: stream,
          duplex: 'half',
        } as RequestInit).catch((error: Error) => error)
        while (sent < bytes.length / 2) await new Promise((resolve) => setTimeout(resolve, 5))
        await kill(service.child)
        t.type(await upload, Error, 'the client sees the connection drop')
        t.equal(await count('snapshots'), 0, 'no row of the killed upload')
        t.equal(await count('upload_batches'), 0, 'no batch of the killed upload')

        service = await startService(databaseUrl)
        t.teardown(() => kill(service.child))
        const post = () =>
          fetch(`${service.url}/v1/snapshots`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'text/csv' },
            body,
          })
        const retried = await post()
        t.equal(retried.status, 201)
        t.match(await retried.json(), { rows: 60_000, inserted: 60_000 })
        const again = await post()
        t.match(await again.json(), { rows: 60_000, inserted: 0, revised: 0, unchanged: 60_000 })
        t.equal(await count('snapshots'), 60_000)
        await kill(service.child)
      },
    )

    t.test(
      'when the service is killed during a model run, then the run is marked failed and the next one succeeds',
      async (t) => {
        let service = await startService(databaseUrl)
        await fetch(`${service.url}/v1/snapshots`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'text/csv' },
          body: csvOf(riskPanel({ neighbourhoodsPerDistrict: 60, years: 6 })),
        })
        const accepted = (await (
          await fetch(`${service.url}/v1/risk-model/runs`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: '{}',
          })
        ).json()) as { run_id: string }
        let status = 'queued'
        for (let attempt = 0; attempt < 400 && status === 'queued'; attempt += 1) {
          status = (
            await database.query('SELECT status FROM model_runs WHERE id = $1', [accepted.run_id])
          ).rows[0].status
          if (status === 'queued') await new Promise((resolve) => setTimeout(resolve, 2))
        }
        await kill(service.child)
        const killedStatus = (
          await database.query('SELECT status FROM model_runs WHERE id = $1', [accepted.run_id])
        ).rows[0].status
        service = await startService(databaseUrl)
        t.teardown(() => kill(service.child))
        const run = (await (
          await fetch(`${service.url}/v1/risk-model/runs/${accepted.run_id}`, { headers })
        ).json()) as {
          status: string
          error?: { code: string }
        }
        if (killedStatus === 'running') {
          t.equal(run.status, 'failed')
          t.equal(run.error?.code, 'interrupted')
        } else {
          t.equal(run.status, 'succeeded', 'the run had finished before the kill')
        }
        t.equal(
          (await count('risk_scores')) === 0 || run.status === 'succeeded',
          true,
          'no scores of an interrupted run',
        )
        const next = (await (
          await fetch(`${service.url}/v1/risk-model/runs`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: '{"horizon_quarters":1}',
          })
        ).json()) as { run_id: string }
        let nextStatus = 'queued'
        for (
          let attempt = 0;
          attempt < 300 && (nextStatus === 'queued' || nextStatus === 'running');
          attempt += 1
        ) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          nextStatus = (
            (await (
              await fetch(`${service.url}/v1/risk-model/runs/${next.run_id}`, { headers })
            ).json()) as { status: string }
          ).status
        }
        t.equal(nextStatus, 'succeeded')
      },
    )
  },
)
