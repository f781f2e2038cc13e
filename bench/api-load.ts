import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import {
  benchAuthorization,
  freePort,
  scratchDatabase,
  startBenchService,
  uploadSnapshots,
  writeSnapshotCsv,
} from './support.js'
import { withBaseline, type BenchResult, type Benchmark } from './types.js'

async function load(url: string, seconds: number, headers: Record<string, string> = {}) {
  const result = await autocannon({ url, connections: 10, duration: seconds, headers })
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`,
    )
  }
  return { rps: result.requests.average, p99: result.latency.p99 }
}

/** A Fastify hello-world route in its own process: the same-run baseline for api_risk_rps. */
async function helloWorld(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('fastify')().get('/', async () => ({ hello: 'world' })).listen({ port: ${port}, host: '127.0.0.1' })`,
    ],
    { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } },
  )
  const url = `http://127.0.0.1:${port}/`
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await fetch(url)).ok) break
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  return { url, stop: () => child.kill('SIGTERM') }
}

/**
 * `api_risk_rps` / `api_risk_p99_ms` (DESIGN.md §4, issue 10): autocannon for 30 s (10
 * connections) on `/v1/risk` of one municipality, served from its cache, on the 720,000-row data
 * set with a model run, against a Fastify hello-world route in the same run (the two alternate in
 * three rounds); also the trend read of a neighbourhood (`api_trend_rps`, `api_trend_p99_ms`).
 */
const apiLoadBenchmark: Benchmark = async ({ scale, log, serverUrl }) => {
  const areas = scale === 'small' ? 1000 : 15000
  const seconds = scale === 'small' ? 5 : 30
  const directory = mkdtempSync(join(tmpdir(), 'aanwas-bench-'))
  const file = join(directory, 'snapshots.csv')
  const database = await scratchDatabase(serverUrl)
  const service = await startBenchService(database.url)
  const hello = await helloWorld()
  const headers = { authorization: benchAuthorization }
  try {
    log(`api-load: loading ${areas * 48} rows and running the model`)
    await writeSnapshotCsv(file, areas)
    await uploadSnapshots(service.url, { file })
    const { run_id: runId } = (await (
      await fetch(`${service.url}/v1/risk-model/runs`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { run_id: string }
    for (;;) {
      const run = (await (
        await fetch(`${service.url}/v1/risk-model/runs/${runId}`, { headers })
      ).json()) as { status: string }
      if (run.status === 'succeeded') break
      if (run.status === 'failed') throw new Error('the model run failed')
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const riskUrl = `${service.url}/v1/risk?municipality=GM0100`
    const trendUrl = `${service.url}/v1/areas/BU01000101/trend`
    await fetch(riskUrl, { headers })
    // Hello world and /v1/risk take turns, three rounds of a third of the time each, so that a
    // machine that speeds up or slows down during the run (a 2-core VM does) weighs on both alike;
    // each figure is the mean over its rounds, p99 the worst round's.
    const rounds = 3
    const baselineRounds: Array<{ rps: number; p99: number }> = []
    const riskRounds: Array<{ rps: number; p99: number }> = []
    for (let round = 1; round <= rounds; round += 1) {
      log(
        `api-load: round ${round}/${rounds}: hello world, then /v1/risk, ${seconds / rounds} s each`,
      )
      baselineRounds.push(await load(hello.url, seconds / rounds))
      riskRounds.push(await load(riskUrl, seconds / rounds, headers))
    }
    const meanRps = (results: Array<{ rps: number }>) =>
      results.reduce((sum, result) => sum + result.rps, 0) / results.length
    const baseline = { rps: meanRps(baselineRounds) }
    const risk = {
      rps: meanRps(riskRounds),
      p99: Math.max(...riskRounds.map((result) => result.p99)),
    }
    log(`api-load: /v1/areas/:code/trend for ${seconds} s`)
    const trend = await load(trendUrl, seconds, headers)
    const results: BenchResult[] = [
      withBaseline('api_risk_rps', Math.round(risk.rps), 'req/s', Math.round(baseline.rps)),
      { name: 'api_risk_p99_ms', value: risk.p99, unit: 'ms' },
      withBaseline('api_trend_rps', Math.round(trend.rps), 'req/s', Math.round(baseline.rps)),
      { name: 'api_trend_p99_ms', value: trend.p99, unit: 'ms' },
    ]
    return results
  } finally {
    hello.stop()
    await service.stop()
    await database.drop()
    rmSync(directory, { recursive: true, force: true })
  }
}

export default apiLoadBenchmark
