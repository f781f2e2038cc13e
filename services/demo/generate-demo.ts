/**
 * The demo data set: a seeded, deterministic generator (same output on every machine, fixed
 * quarters 2015Q1–2024Q4, never relative to today). Real CBS municipality codes and names, but
 * generated districts and neighbourhoods: district numbers from 90 upward, which CBS does not use
 * for these municipalities, so demo codes cannot collide with real ones. Boundaries are generated
 * hexagons around each municipality's real location. Counts are small and plausible; a few
 * neighbourhoods get a rising trend in the last two years so the trend and alert pages have
 * something to show. Every value is synthetic and labelled as demo data.
 */
import type { SnapshotFixtureRow } from './demo-types.js'
import { baseColumn, outcomeColumn, predictors } from '../../models/vocabulary/indicators.js'
import { mulberry32 as seededRandom } from '../../models/stats/seeded-random.js'

export interface DemoMunicipality {
  code: string
  name: string
  longitude: number
  latitude: number
  districts: number
}

export const demoMunicipalities: readonly DemoMunicipality[] = [
  { code: 'GM0518', name: "'s-Gravenhage", longitude: 4.3, latitude: 52.07, districts: 4 },
  { code: 'GM0599', name: 'Rotterdam', longitude: 4.47, latitude: 51.92, districts: 4 },
  { code: 'GM0363', name: 'Amsterdam', longitude: 4.9, latitude: 52.37, districts: 4 },
  { code: 'GM0344', name: 'Utrecht', longitude: 5.12, latitude: 52.09, districts: 3 },
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

/** A pointy-top hexagon around a centre, in lon/lat (longitude stretched for latitude ~52°). */
function hexagon(longitude: number, latitude: number, radius: number): number[][] {
  const ring: number[][] = []
  for (let corner = 0; corner < 6; corner += 1) {
    const angle = (Math.PI / 180) * (60 * corner - 30)
    ring.push([
      Number((longitude + (radius * Math.cos(angle)) / 0.62).toFixed(6)),
      Number((latitude + radius * Math.sin(angle)).toFixed(6)),
    ])
  }
  ring.push(ring[0])
  return ring
}

/** Axial hex coordinates spiralling out from the centre, enough for `count` cells. */
function hexSpiral(count: number): Array<[number, number]> {
  const cells: Array<[number, number]> = [[0, 0]]
  const directions: Array<[number, number]> = [
    [1, 0],
    [1, -1],
    [0, -1],
    [-1, 0],
    [-1, 1],
    [0, 1],
  ]
  for (let ring = 1; cells.length < count; ring += 1) {
    let q = -ring
    let r = ring
    for (const [dq, dr] of directions) {
      for (let step = 0; step < ring && cells.length < count; step += 1) {
        cells.push([q, r])
        q += dq
        r += dr
      }
    }
  }
  return cells
}

export interface DemoNeighbourhood {
  code: string
  name: string
  rising: boolean
  geometry: { type: 'Polygon'; coordinates: number[][][] }
}

export interface DemoDataSet {
  neighbourhoods: DemoNeighbourhood[]
  districts: Array<{ code: string; name: string }>
  snapshots: SnapshotFixtureRow[]
}

const neighbourhoodNames = [
  'Centrum',
  'Oost',
  'West',
  'Noord',
  'Zuid',
  'Havenkwartier',
  'Parkbuurt',
  'Stationsbuurt',
  'Molenwijk',
  'Kerkbuurt',
]

export function generateDemoData(seed = 20151): DemoDataSet {
  const random = seededRandom(seed)
  const neighbourhoods: DemoNeighbourhood[] = []
  const districts: Array<{ code: string; name: string }> = []
  const snapshots: SnapshotFixtureRow[] = []
  const hexRadius = 0.0045

  for (const municipality of demoMunicipalities) {
    const digits = municipality.code.slice(2)
    const plan: Array<{ district: string; index: number }> = []
    for (let district = 0; district < municipality.districts; district += 1) {
      const districtNumber = String(90 + district)
      districts.push({ code: `WK${digits}${districtNumber}`, name: `Demo wijk ${districtNumber}` })
      const size = 5 + Math.floor(random() * 4)
      for (let index = 1; index <= size; index += 1) plan.push({ district: districtNumber, index })
    }
    const cells = hexSpiral(plan.length)
    plan.forEach(({ district, index }, position) => {
      const [q, r] = cells[position]
      const longitude = municipality.longitude + (hexRadius * Math.sqrt(3) * (q + r / 2)) / 0.62
      const latitude = municipality.latitude + hexRadius * 1.5 * r
      const code = `BU${digits}${district}${String(index).padStart(2, '0')}`
      neighbourhoods.push({
        code,
        name: `${neighbourhoodNames[(index - 1) % neighbourhoodNames.length]} ${district}-${index} (demo)`,
        rising: false,
        geometry: {
          type: 'Polygon',
          coordinates: [hexagon(longitude, latitude, hexRadius * 0.98)],
        },
      })
    })
  }
  // Three neighbourhoods per municipality start rising in 2023.
  for (const municipality of demoMunicipalities) {
    const own = neighbourhoods.filter((area) =>
      area.code.startsWith(`BU${municipality.code.slice(2)}`),
    )
    for (let pick = 0; pick < 3; pick += 1) own[Math.floor(random() * own.length)].rising = true
  }

  for (const area of neighbourhoods) {
    const population = 80 + Math.floor(random() * 500)
    const rates = simulation.map(
      (predictor) => predictor.rateFrom + random() * predictor.rateSpread,
    )
    const areaEffect = (random() - 0.5) * 0.6
    let quarterIndex = 0
    for (let year = demoFirstYear; year <= demoLastYear; year += 1) {
      for (let quarter = 1; quarter <= 4; quarter += 1, quarterIndex += 1) {
        const rise = area.rising && year >= 2023 ? (quarterIndex - 31) * 0.09 : 0
        const youth = Math.max(
          20,
          Math.round(population * (1 + 0.004 * quarterIndex) + (random() - 0.5) * 10),
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
  return { neighbourhoods, districts, snapshots }
}
