import {
  benchAuthorization,
  scratchDatabase,
  startBenchService,
  uploadSnapshots,
} from './support.js'
import type { Benchmark } from './types.js'

const header =
  'area_code,area_name,period,youth_population,early_school_leavers,halt_registrations,parental_debt,drug_offence_suspects\n'

/**
 * One municipality (GM0363) of `neighbourhoods` neighbourhoods in districts of 20, 48 quarters
 * (2013Q1–2024Q4) each, seeded; about 1 in 200 counts is not delivered (empty cell).
 */
function municipalityCsv(neighbourhoods: number): string {
  let seed = 20261125
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const lines = [header]
  for (let index = 0; index < neighbourhoods; index += 1) {
    const district = String(Math.floor(index / 20) + 1).padStart(2, '0')
    const code = `BU0363${district}${String((index % 20) + 1).padStart(2, '0')}`
    const population = 50 + Math.floor(random() * 900)
    for (let year = 2013; year <= 2024; year += 1) {
      for (let quarter = 1; quarter <= 4; quarter += 1) {
        const count = (share: number) =>
          random() < 0.005 ? '' : String(Math.floor(population * share * random()))
        lines.push(
          `${code},Buurt ${index},${year}Q${quarter},${population},${count(0.08)},${count(0.05)},${count(0.3)},${count(0.04)}\n`,
        )
      }
    }
  }
  return lines.join('')
}

/** The p-th percentile (nearest rank) of the durations. */
function percentile(durations: readonly number[], p: number): number {
  const sorted = [...durations].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]
}

async function timeRequests(url: string, authorization: string, count: number): Promise<number[]> {
  const durations: number[] = []
  for (let index = 0; index < count; index += 1) {
    const started = performance.now()
    const response = await fetch(url, { headers: { authorization } })
    const body = await response.text()
    durations.push(performance.now() - started)
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body}`)
  }
  return durations
}

/**
 * `trends_p95_ms` (DESIGN.md §4): `GET /v1/trends?municipality=…` of a separate service process
 * on PostgreSQL for one municipality of 400 neighbourhoods × 48 quarters loaded through
 * `POST /v1/snapshots`; p95 over 50 sequential requests after 5 warm-up requests, admin key
 * (exact values). The viewer's p95 (disclosure control on top) is logged for comparison.
 */
const trendsBenchmark: Benchmark = async ({ scale, log, serverUrl }) => {
  const neighbourhoods = scale === 'small' ? 100 : 400
  const requests = scale === 'small' ? 20 : 50
  const database = await scratchDatabase(serverUrl)
  try {
    const service = await startBenchService(database.url)
    const admin = benchAuthorization
    try {
      log(`trends: uploading ${neighbourhoods} neighbourhoods × 48 quarters`)
      await uploadSnapshots(service.url, { text: municipalityCsv(neighbourhoods) })
      const keyResponse = await fetch(`${service.url}/v1/keys`, {
        method: 'POST',
        headers: { authorization: admin, 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'viewer', municipality: 'GM0363' }),
      })
      const viewer = `Bearer ${((await keyResponse.json()) as { key: string }).key}`

      const url = `${service.url}/v1/trends?municipality=GM0363`
      const check = (await (await fetch(url, { headers: { authorization: admin } })).json()) as {
        total: number
      }
      if (check.total !== neighbourhoods) {
        throw new Error(`expected ${neighbourhoods} neighbourhoods, the list has ${check.total}`)
      }
      await timeRequests(url, admin, 5)
      log(`trends: ${requests} requests of /v1/trends`)
      const durations = await timeRequests(url, admin, requests)
      const p95 = percentile(durations, 95)
      log(`trends: admin p50 ${percentile(durations, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`)
      await timeRequests(url, viewer, 5)
      const viewerDurations = await timeRequests(url, viewer, requests)
      log(
        `trends: viewer p50 ${percentile(viewerDurations, 50).toFixed(1)} ms, p95 ${percentile(viewerDurations, 95).toFixed(1)} ms`,
      )
      return [{ name: 'trends_p95_ms', value: Math.round(p95 * 10) / 10, unit: 'ms' }]
    } finally {
      await service.stop()
    }
  } finally {
    await database.drop()
  }
}

export default trendsBenchmark
