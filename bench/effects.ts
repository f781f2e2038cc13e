import {
  benchAuthorization,
  scratchDatabase,
  startBenchService,
  uploadSnapshots,
} from './support.js'
import type { Benchmark } from './types.js'

const header =
  'area_code,area_name,period,youth_population,early_school_leavers,halt_registrations,parental_debt,drug_offence_suspects\n'

/** `BU` code of the n-th neighbourhood: 100 per municipality, 10 per district. */
function neighbourhoodCode(index: number, firstMunicipality: number): string {
  const municipality = firstMunicipality + Math.floor(index / 100)
  const district = Math.floor((index % 100) / 10) + 1
  const neighbourhood = (index % 10) + 1
  return `BU${String(municipality).padStart(4, '0')}${String(district).padStart(2, '0')}${String(neighbourhood).padStart(2, '0')}`
}

/**
 * CSV of `treated` neighbourhoods in municipality GM0010 and `donors` elsewhere over 48 quarters
 * (2013Q1–2024Q4): a factor model on the rate (level, a loading on a common seasonal wave,
 * noise) with a planted fall of 0.002 in the treated areas from 2021Q1.
 */
function panelCsv(treated: number, donors: number): { csv: string; treatedCodes: string[] } {
  let seed = 4242
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const lines: string[] = [header.trimEnd()]
  const treatedCodes: string[] = []
  const add = (code: string, isTreated: boolean) => {
    const population = 300 + Math.floor(random() * 900)
    const level = 0.005 + 0.01 * random()
    const loading = random() * 2 - 1
    for (let time = 0; time < 48; time++) {
      const period = `${2013 + Math.floor(time / 4)}Q${(time % 4) + 1}`
      const rate =
        level +
        0.002 * loading * Math.sin(time / 3) +
        0.001 * (random() - 0.5) -
        (isTreated && time >= 32 ? 0.002 : 0)
      const count = (share: number) =>
        Math.min(population, Math.max(0, Math.round(population * share)))
      lines.push(
        `${code},,${period},${population},${count(0.05 * (0.8 + 0.4 * random()))},${count(0.03 * (0.8 + 0.4 * random()))},${count(0.1 * (0.8 + 0.4 * random()))},${count(rate)}`,
      )
    }
  }
  for (let index = 0; index < treated; index++) {
    const code = neighbourhoodCode(index, 10)
    treatedCodes.push(code)
    add(code, true)
  }
  for (let index = 0; index < donors; index++) add(neighbourhoodCode(index, 100), false)
  return { csv: `${lines.join('\n')}\n`, treatedCodes }
}

/**
 * `effects_ms` (DESIGN.md §4): one intervention with 50 treated neighbourhoods among 14,000
 * candidate donors over 48 quarters (`small`: 20 among 1,000), uploaded through the API of a
 * separate service process into a scratch PostgreSQL database; the time of
 * `GET /v1/interventions/:id/effects` with `method=synthetic_control` (default pool of 200
 * donors, placebo inference) plus `method=did` (influence-function inference), both uncached
 * results. The service is fresh, so the first call reads the panel; the second shares that read
 * (the service keeps the last panel per data version), as when a user asks for both methods.
 */
const effectsBenchmark: Benchmark = async ({ scale, log, serverUrl }) => {
  const treated = scale === 'small' ? 20 : 50
  const donors = scale === 'small' ? 1000 : 14000
  const database = await scratchDatabase(serverUrl)
  try {
    const service = await startBenchService(database.url)
    const headers = { authorization: benchAuthorization }
    try {
      log(`effects: uploading ${(treated + donors) * 48} rows`)
      const { csv, treatedCodes } = panelCsv(treated, donors)
      await uploadSnapshots(service.url, { text: csv })
      const created = await fetch(`${service.url}/v1/interventions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'bench',
          municipality: 'GM0010',
          areas: treatedCodes.map((area_code) => ({ area_code, start_period: '2021Q1' })),
        }),
      })
      if (created.status !== 201) throw new Error(`create answered ${created.status}`)
      const { id } = (await created.json()) as { id: string }
      let total = 0
      for (const method of ['synthetic_control', 'did']) {
        const start = performance.now()
        const response = await fetch(
          `${service.url}/v1/interventions/${id}/effects?method=${method}`,
          { headers },
        )
        const body = (await response.json()) as {
          overall?: { att: number; ci_low: number; ci_high: number }
          n_donors?: number
        }
        const elapsed = performance.now() - start
        if (response.status !== 200) {
          throw new Error(`${method} answered ${response.status}: ${JSON.stringify(body)}`)
        }
        log(
          `effects: ${method} ${Math.round(elapsed)} ms, att ${body.overall?.att.toFixed(5)} [${body.overall?.ci_low.toFixed(5)}, ${body.overall?.ci_high.toFixed(5)}], ${body.n_donors} donors`,
        )
        total += elapsed
      }
      return [{ name: 'effects_ms', value: Math.round(total), unit: 'ms' }]
    } finally {
      await service.stop()
    }
  } finally {
    await database.drop()
  }
}

export default effectsBenchmark
