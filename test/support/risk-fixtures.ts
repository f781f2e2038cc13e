import { mulberry32 as seeded } from '../../models/stats/seeded-random.js'
import type { SnapshotFixture } from './snapshot-fixtures.js'

function binomial(random: () => number, trials: number, probability: number): number {
  let count = 0
  for (let trial = 0; trial < trials; trial += 1) if (random() < probability) count += 1
  return count
}

/** The coefficients planted in `riskPanel` (logit scale, predictors as proportions). */
export const plantedRiskCoefficients = {
  intercept: -4,
  early_school_leaving: 8,
  halt: 12,
  parental_debt: 3,
}

/**
 * Neighbourhood-quarter rows for two municipalities (GM0518 and GM0599), two districts each,
 * with outcomes drawn from the planted logistic model.
 */
export function riskPanel(
  options: { neighbourhoodsPerDistrict?: number; years?: number; seed?: number } = {},
): SnapshotFixture[] {
  const random = seeded(options.seed ?? 7)
  const perDistrict = options.neighbourhoodsPerDistrict ?? 8
  const years = options.years ?? 3
  const rows: SnapshotFixture[] = []
  for (const municipality of ['0518', '0599']) {
    for (const district of ['01', '02']) {
      for (let index = 1; index <= perDistrict; index += 1) {
        const code = `BU${municipality}${district}${String(index).padStart(2, '0')}`
        const population = 150 + Math.floor(random() * 400)
        const leaving = 0.02 + random() * 0.08
        const halt = 0.01 + random() * 0.06
        const debt = 0.05 + random() * 0.2
        for (let year = 2021; year < 2021 + years; year += 1) {
          for (let quarter = 1; quarter <= 4; quarter += 1) {
            const schoolLeavers = binomial(random, population, leaving)
            const haltCount = binomial(random, population, halt)
            const debtCount = binomial(random, population, debt)
            const {
              intercept,
              early_school_leaving,
              halt: haltEffect,
              parental_debt,
            } = plantedRiskCoefficients
            const linear =
              intercept +
              early_school_leaving * (schoolLeavers / population) +
              haltEffect * (haltCount / population) +
              parental_debt * (debtCount / population)
            rows.push({
              area_code: code,
              area_name: `Buurt ${municipality}-${district}-${index}`,
              period: `${year}Q${quarter}`,
              youth_population: population,
              early_school_leavers: schoolLeavers,
              halt_registrations: haltCount,
              parental_debt: debtCount,
              drug_offence_suspects: binomial(random, population, 1 / (1 + Math.exp(-linear))),
            })
          }
        }
      }
    }
  }
  return rows
}
