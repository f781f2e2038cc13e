/**
 * The demo data set (issue 16): Den Haag (GM0518) on its real CBS division of 2015, 44 wijken and
 * 114 buurten with their real codes, names and boundaries (`geo/`, Bron: CBS/Kadaster, CC BY 4.0),
 * and synthetic quarterly counts on them from a seeded, deterministic generator (same output on
 * every machine, fixed quarters 2015Q1–2024Q4, never relative to today). Each buurt's youth
 * population is sized from its real 2015 inhabitants and age bands; the counts are small and
 * plausible, a few buurten get a rising trend in the last two years so the trend and alert pages
 * have something to show, and six get the demo intervention. Every count is synthetic and the
 * demo's rows are marked as such (their own upload batch), so `aanwas demo --remove` takes them out.
 */
import { readFileSync } from 'node:fs'
import type { SnapshotFixtureRow } from './demo-types.js'
import { baseColumn, outcomeColumn, predictors } from '../../models/vocabulary/indicators.js'
import { mulberry32 as seededRandom } from '../../models/stats/seeded-random.js'

/** The demo's municipality: Den Haag, as CBS names it. */
export const demoMunicipality = { code: 'GM0518', name: "'s-Gravenhage" } as const

/**
 * The demo intervention's buurten ('Preventie met gezag' from 2022): the three of Schildersbuurt
 * and the three of Transvaalkwartier, real codes in the bundled division.
 */
export const demoInterventionAreas: readonly string[] = [
  'BU05182915',
  'BU05182916',
  'BU05182917',
  'BU05183032',
  'BU05183033',
  'BU05183034',
]

export const demoFirstYear = 2015
export const demoLastYear = 2024

/** A binomial draw by summing Bernoulli trials (n is at most a few hundred here). */
function binomial(random: () => number, trials: number, probability: number): number {
  let successes = 0
  for (let trial = 0; trial < trials; trial += 1) if (random() < probability) successes += 1
  return successes
}

const logistic = (value: number) => 1 / (1 + Math.exp(-value))

/** How the demo draws one predictor of the vocabulary. */
interface SimulatedPredictor {
  /** a neighbourhood's rate is drawn uniformly from `rateFrom` to `rateFrom + rateSpread` */
  rateFrom: number
  rateSpread: number
  /** in a rising neighbourhood the rate grows by the rise divided by this */
  riseDivisor: number
  /** the weight of the predictor's rate in the outcome's log-odds */
  weight: number
  /** the first year delivered (earlier quarters store NULL) */
  deliveredFrom?: number
}

/**
 * The demo's predictors, in the vocabulary's predictor order: early school leavers, HALT
 * registrations, parental debt (not delivered for 2015 in the demo, as CBS sometimes does). A
 * predictor added to the vocabulary without an entry here is drawn with `otherPredictor`.
 */
const simulatedPredictors: readonly SimulatedPredictor[] = [
  { rateFrom: 0.02, rateSpread: 0.05, riseDivisor: 4, weight: 9 },
  { rateFrom: 0.01, rateSpread: 0.03, riseDivisor: 3, weight: 14 },
  { rateFrom: 0.05, rateSpread: 0.15, riseDivisor: 5, weight: 3, deliveredFrom: demoFirstYear + 1 },
]
const otherPredictor: SimulatedPredictor = {
  rateFrom: 0.02,
  rateSpread: 0.05,
  riseDivisor: 4,
  weight: 0,
}
const simulation = predictors.map((entry, index) => ({
  column: entry.column,
  ...(simulatedPredictors[index] ?? otherPredictor),
}))

/** The outcome's log-odds before the predictors, the area effect, the season and the rise. */
const outcomeIntercept = -6.1

export interface DemoNeighbourhood {
  code: string
  name: string
  /** The wijk it lies in (its CBS parent). */
  district: string
  /** Estimated residents aged 13 to 18 in 2015; below {@link minimumYouth} no rows are drawn. */
  youth: number
  rising: boolean
  geometry: DemoGeometry
}

export interface DemoDistrict {
  code: string
  name: string
  geometry: DemoGeometry
}

export interface DemoGeometry {
  type: string
  coordinates: unknown
}

export interface DemoDataSet {
  municipality: { code: string; name: string }
  districts: DemoDistrict[]
  neighbourhoods: DemoNeighbourhood[]
  snapshots: SnapshotFixtureRow[]
}

/** The two bundled files as read: CBS property names, WGS84 lon/lat. */
export interface DemoGeography {
  buurten: GeoFeatureCollection
  wijken: GeoFeatureCollection
}

interface GeoFeatureCollection {
  type: 'FeatureCollection'
  features: Array<{ type: 'Feature'; properties: Record<string, unknown>; geometry: DemoGeometry }>
}

const geographyFiles = {
  buurten: new URL('./geo/denhaag_GM0518_buurten_2015.geojson', import.meta.url),
  wijken: new URL('./geo/denhaag_GM0518_wijken_2015.geojson', import.meta.url),
}

/** Reads the bundled Den Haag boundaries (about 140 KB; see geo/README.md for their source). */
export function readDemoGeography(): DemoGeography {
  return {
    buurten: JSON.parse(readFileSync(geographyFiles.buurten, 'utf8')) as GeoFeatureCollection,
    wijken: JSON.parse(readFileSync(geographyFiles.wijken, 'utf8')) as GeoFeatureCollection,
  }
}

/**
 * Buurten with fewer young residents than this get no rows: a handful of young people cannot be
 * published (CBS would suppress them too); they stay on the map as "no data".
 */
export const minimumYouth = 20

/** How many buurten get the planted rise from 2023 on (alerts fire on them). */
const risingCount = 4
const risingMinimumYouth = 200

/**
 * Residents aged 13 to 18 from the 2015 key figures: two of the fifteen years of the 0–14 band
 * and four of the ten years of the 15–24 band, assuming ages spread evenly within a band. A
 * suppressed figure (negative in CBS's 2015 files) gives 0.
 */
function youthOf(properties: Record<string, unknown>): number {
  const inhabitants = Number(properties.AANT_INW)
  const children = Number(properties.P_00_14_JR)
  const youngAdults = Number(properties.P_15_24_JR)
  if (!(inhabitants > 0 && children >= 0 && youngAdults >= 0)) return 0
  return Math.round((inhabitants * ((children * 2) / 15 + (youngAdults * 4) / 10)) / 100)
}

/**
 * The demo data set on the given geography (the bundled files by default). Deterministic: the
 * same seed gives the same rows, in the files' order of buurten.
 */
export function generateDemoData(
  seed = 20151,
  geography: DemoGeography = readDemoGeography(),
): DemoDataSet {
  const random = seededRandom(seed)
  const text = (value: unknown) => String(value ?? '').trim()
  const districts: DemoDistrict[] = geography.wijken.features.map((feature) => ({
    code: text(feature.properties.WK_CODE),
    name: text(feature.properties.WK_NAAM),
    geometry: feature.geometry,
  }))
  const neighbourhoods: DemoNeighbourhood[] = geography.buurten.features.map((feature) => ({
    code: text(feature.properties.BU_CODE),
    name: text(feature.properties.BU_NAAM),
    district: text(feature.properties.WK_CODE),
    youth: youthOf(feature.properties),
    rising: false,
    geometry: feature.geometry,
  }))
  const published = neighbourhoods.filter((area) => area.youth >= minimumYouth)
  // A few buurten outside the intervention start rising in 2023 (a seeded pick), among those
  // with enough young residents for the rise to stand out from the noise and fire alerts.
  const candidates = published.filter(
    (area) => area.youth >= risingMinimumYouth && !demoInterventionAreas.includes(area.code),
  )
  for (let picked = 0; picked < risingCount && candidates.length > 0; picked += 1) {
    const [area] = candidates.splice(Math.floor(random() * candidates.length), 1)
    area.rising = true
  }

  const snapshots: SnapshotFixtureRow[] = []
  for (const area of published) {
    const rates = simulation.map(
      (predictor) => predictor.rateFrom + random() * predictor.rateSpread,
    )
    const areaEffect = (random() - 0.5) * 0.6
    let quarterIndex = 0
    for (let year = demoFirstYear; year <= demoLastYear; year += 1) {
      for (let quarter = 1; quarter <= 4; quarter += 1, quarterIndex += 1) {
        const rise = area.rising && year >= 2023 ? (quarterIndex - 31) * 0.09 : 0
        // Slow growth and a little noise around the buurt's 2015 youth population.
        const youth = Math.max(
          minimumYouth,
          Math.round(area.youth * (1 + 0.004 * quarterIndex) + (random() - 0.5) * 10),
        )
        const row = {
          area_code: area.code,
          area_name: area.name,
          period: `${year}Q${quarter}`,
          [baseColumn]: youth,
        } as SnapshotFixtureRow
        let logOdds = outcomeIntercept
        simulation.forEach((predictor, index) => {
          const count = binomial(random, youth, rates[index] * (1 + rise / predictor.riseDivisor))
          logOdds += predictor.weight * (count / youth)
          row[predictor.column] = year < (predictor.deliveredFrom ?? demoFirstYear) ? null : count
        })
        const seasonal = quarter === 3 ? 0.15 : quarter === 1 ? -0.1 : 0
        const probability = logistic(logOdds + areaEffect + seasonal + rise)
        row[outcomeColumn] = binomial(random, youth, probability)
        snapshots.push(row)
      }
    }
  }
  return { municipality: { ...demoMunicipality }, districts, neighbourhoods, snapshots }
}
