import { mulberry32 } from '../../models/stats/seeded-random.js'

/**
 * A seeded data set of one municipality with many small counts, for the disclosure adversary
 * (issue 14): 2–3 districts of 3–6 neighbourhoods, 12–16 quarters, youth populations 40–400,
 * counts mostly 0–15 (many below 10, some zeros, a share right around the threshold 8–12, a few
 * larger so districts have shown values). The first neighbourhood of each district doubles its
 * suspects in the last year, so rises, aberrations and trends have something to alert on.
 * Deterministic for a seed.
 */
export interface SmallCountsRow {
  area_code: string
  area_name: string
  period: string
  youth_population: number
  early_school_leavers: number
  halt_registrations: number
  parental_debt: number
  drug_offence_suspects: number
}

export interface SmallCountsDataSet {
  municipality: string
  districts: string[]
  neighbourhoods: string[]
  periods: string[]
  rows: SmallCountsRow[]
}

export interface SmallCountsOptions {
  seed?: number
  /** `GM` and four digits; the default is not a demo municipality. */
  municipality?: string
  firstYear?: number
}

const columns = [
  'early_school_leavers',
  'halt_registrations',
  'parental_debt',
  'drug_offence_suspects',
] as const

export function generateSmallCounts(options: SmallCountsOptions = {}): SmallCountsDataSet {
  const random = mulberry32(options.seed ?? 36)
  const municipality = options.municipality ?? 'GM0999'
  const digits = municipality.slice(2)
  const firstYear = options.firstYear ?? 2021
  const quarterCount = 12 + Math.floor(random() * 5)
  const periods = Array.from(
    { length: quarterCount },
    (_, index) => `${firstYear + Math.floor(index / 4)}Q${(index % 4) + 1}`,
  )
  const districts: string[] = []
  const neighbourhoods: string[] = []
  const districtCount = 2 + Math.floor(random() * 2)
  for (let district = 0; district < districtCount; district++) {
    const districtNumber = String(10 + district)
    districts.push(`WK${digits}${districtNumber}`)
    const size = 3 + Math.floor(random() * 4)
    for (let index = 1; index <= size; index++) {
      neighbourhoods.push(`BU${digits}${districtNumber}${String(index).padStart(2, '0')}`)
    }
  }
  const rows: SmallCountsRow[] = []
  const rising = new Set(districts.map((district) => `BU${district.slice(2)}01`))
  for (const code of neighbourhoods) {
    const population = 40 + Math.floor(random() * 361)
    // a mean per column: mostly small, a third near the threshold, a few larger
    const means = columns.map(() => {
      const kind = random()
      if (kind < 0.55) return 0.3 + random() * 7
      if (kind < 0.85) return 8 + random() * 4
      return 13 + random() * 10
    })
    periods.forEach((period, index) => {
      const youth = Math.max(40, population + Math.round((random() - 0.5) * 8) + index)
      const lastYear = rising.has(code) && index >= quarterCount - 4
      const counts = means.map((base, column) => {
        const mean = lastYear && column === 3 ? base * 2 + 2 : base
        if (random() < 0.08) return 0
        const value = Math.round(mean + (random() - 0.5) * (2 + mean * 0.8))
        return Math.min(youth, Math.max(0, value))
      })
      rows.push({
        area_code: code,
        area_name: `Kleine buurt ${code.slice(6)} (test)`,
        period,
        youth_population: youth,
        early_school_leavers: counts[0],
        halt_registrations: counts[1],
        parental_debt: counts[2],
        drug_offence_suspects: counts[3],
      })
    })
  }
  return { municipality, districts, neighbourhoods, periods, rows }
}
