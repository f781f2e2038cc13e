import t from 'tap'
import fc from 'fast-check'
import {
  aggregateSyntheticControl,
  defaultPredictorSpecs,
  estimateSyntheticControl,
  fitPlaceboPool,
  prepareSyntheticControl,
  type SyntheticControlUnit,
} from '../../../../models/effects/synthetic-control/index.js'
import { mulberry32 } from '../../../../models/stats/seeded-random.js'

/** Seeded factor-model panel: 10 treated and 40 donors over 24 quarters, effect from quarter 16. */
function simulateUnits(seed: number, effect: number): SyntheticControlUnit[] {
  const random = mulberry32(seed)
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  return Array.from({ length: 50 }, (_, unit) => {
    const treated = unit < 10
    const level = 0.004 + 0.002 * random()
    const loading = normal()
    const outcome = Array.from(
      { length: 24 },
      (_, time) =>
        level +
        0.0008 * loading * Math.sin(time / 4) +
        0.0002 * normal() +
        (treated && time >= 16 ? effect : 0),
    )
    return {
      id: `${treated ? 'T' : 'D'}${String(unit).padStart(2, '0')}`,
      outcome,
      population: 200 + Math.floor(600 * random()),
    }
  })
}

function analyse(units: readonly SyntheticControlUnit[]) {
  const times = Array.from({ length: 24 }, (_, index) => index)
  const params = prepareSyntheticControl(
    { times, units },
    { predictors: defaultPredictorSpecs(times, 16), treatmentStart: 16 },
  )
  const pool = fitPlaceboPool(
    params,
    units.filter((unit) => unit.id.startsWith('D')).map((unit) => unit.id),
  )
  const estimates = units
    .filter((unit) => unit.id.startsWith('T'))
    .map((unit) => estimateSyntheticControl(pool, unit.id))
  return {
    estimates,
    aggregate: aggregateSyntheticControl(estimates, [pool], { seed: 1, draws: 500 }),
  }
}

t.test('aggregateSyntheticControl', async (t) => {
  t.test(
    'when treated units get a known effect, then the interval covers it and excludes zero',
    async (t) => {
      const truth = -0.001
      // planted effect −0.001 in 10 treated units from quarter 16 (seed 21)
      const { aggregate } = analyse(simulateUnits(21, truth))
      const { overall } = aggregate
      t.ok(
        overall.ciLow <= truth && truth <= overall.ciHigh,
        `interval ${overall.ciLow}…${overall.ciHigh}, att ${overall.att}`,
      )
      t.ok(overall.ciHigh < 0)
      t.ok(overall.pValue < 0.05)
      t.equal(aggregate.eventStudy.length, 24)
    },
  )

  t.test('when a placebo group has no effect, then it is not flagged', async (t) => {
    // no planted effect (seed 22)
    const { aggregate } = analyse(simulateUnits(22, 0))
    t.ok(
      aggregate.overall.ciLow <= 0 && 0 <= aggregate.overall.ciHigh,
      `interval ${aggregate.overall.ciLow}…${aggregate.overall.ciHigh}`,
    )
    t.ok(aggregate.overall.pValue > 0.05)
  })

  t.test(
    'when units are reordered or frozen, then the result is identical and inputs untouched',
    async (t) => {
      const units = simulateUnits(23, -0.0005)
        .slice(0, 5)
        .concat(simulateUnits(23, -0.0005).slice(10, 30))
      const reference = analyse(units).aggregate.overall
      fc.assert(
        fc.property(
          fc.array(fc.nat(), { minLength: units.length, maxLength: units.length }),
          (keys) => {
            const shuffled = units
              .map((unit, index) => ({ unit, key: keys[index] }))
              .sort((a, b) => a.key - b.key)
              .map((entry) =>
                Object.freeze({ ...entry.unit, outcome: Object.freeze([...entry.unit.outcome]) }),
              )
            const overall = analyse(Object.freeze(shuffled)).aggregate.overall
            return (
              overall.att === reference.att &&
              overall.ciLow === reference.ciLow &&
              overall.pValue === reference.pValue
            )
          },
        ),
        { numRuns: 5, seed: 9 },
      )
      t.pass('property held')
    },
  )

  t.test(
    'when the pool is smaller than the treated group, then it throws naming the fix',
    async (t) => {
      const { estimates } = analyse(simulateUnits(24, 0))
      const units = simulateUnits(24, 0)
      const times = Array.from({ length: 24 }, (_, index) => index)
      const params = prepareSyntheticControl(
        { times, units },
        { predictors: defaultPredictorSpecs(times, 16), treatmentStart: 16 },
      )
      const small = fitPlaceboPool(params, ['D10', 'D11', 'D12'])
      t.throws(() => aggregateSyntheticControl(estimates, [small]), {
        message: /aggregateSyntheticControl requires a donor pool at least as large/,
      })
    },
  )
})
