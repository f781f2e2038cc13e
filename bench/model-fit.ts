import * as tf from '@tensorflow/tfjs'
import { fitBinomialGlm } from '../models/risk/binomial-glm.js'
import { plainBinomialIrls } from '../models/risk/plain-binomial-irls.js'
import { riskModelTerms } from '../models/risk/risk-model.js'
import { mulberry32 } from '../models/stats/seeded-random.js'
import { initTensorflowBackend } from '../services/plugins/tensorflow-backend.js'
import { withBaseline, type Benchmark } from './types.js'

/** Planted coefficients: intercept, early school leaving, HALT, parental debt (rates 0–1). */
const plantedCoefficients = [-6.2, 3.1, 5.4, 1.8]

/** Binomial(n, p) by inversion (sequential search from 0): fast for the small n·p used here. */
function sampleBinomial(random: () => number, n: number, p: number): number {
  const ratio = p / (1 - p)
  let probability = (1 - p) ** n
  let cumulative = probability
  const target = random()
  let count = 0
  while (target > cumulative && count < n) {
    probability *= (ratio * (n - count)) / (count + 1)
    count += 1
    cumulative += probability
  }
  return count
}

/**
 * A synthetic national data set of the risk model's design: `areas` neighbourhoods × `quarters`
 * quarters, youth populations 40–600, predictor rates drawn around area levels, outcomes drawn
 * from the model with `plantedCoefficients` (seeded, so every run fits the same data).
 */
export function syntheticRiskDesign(areas: number, quarters: number, seed: number) {
  const random = mulberry32(seed)
  const rows = areas * quarters
  const columns = riskModelTerms.length
  const design = new Float64Array(rows * columns)
  const successes = new Float64Array(rows)
  const trials = new Float64Array(rows)
  for (let area = 0; area < areas; area += 1) {
    const population = 40 + Math.floor(random() * 560)
    const levels = [0.02 + 0.1 * random(), 0.01 + 0.06 * random(), 0.03 + 0.15 * random()]
    for (let quarter = 0; quarter < quarters; quarter += 1) {
      const row = area * quarters + quarter
      const offset = row * columns
      design[offset] = 1
      let linear = plantedCoefficients[0]
      for (let j = 0; j < 3; j += 1) {
        const count = sampleBinomial(random, population, levels[j])
        design[offset + j + 1] = count / population
        linear += plantedCoefficients[j + 1] * design[offset + j + 1]
      }
      trials[row] = population
      successes[row] = sampleBinomial(random, population, 1 / (1 + Math.exp(-linear)))
    }
  }
  return { design, successes, trials, rows, columns }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * `model_fit_ms` (DESIGN.md §4): the risk-model fit (`fitBinomialGlm`: TensorFlow.js float32
 * on the wasm backend, finished in float64) on 720,000 rows (15,000 areas × 48 quarters; `small`:
 * 1,000 × 48), against a plain float64 JavaScript IRLS (`plainBinomialIrls`, R's stopping rule)
 * on the same data in the same run. Median of three timed fits after one warm-up each.
 */
const modelFit: Benchmark = async (context) => {
  const areas = context.scale === 'small' ? 1_000 : 15_000
  const data = syntheticRiskDesign(areas, 48, 20240607)
  context.log(`model_fit: ${data.rows} synthetic rows generated`)
  const selection = await initTensorflowBackend('wasm')
  if (selection.backend !== 'wasm') {
    throw new Error(
      `model_fit needs the wasm backend, got ${selection.backend} (${selection.fallbacks.join('; ')})`,
    )
  }
  const fitOnce = () => {
    const started = performance.now()
    const fit = fitBinomialGlm(tf, {
      design: data.design,
      successes: data.successes,
      trials: data.trials,
      termNames: riskModelTerms,
    })
    return { ms: performance.now() - started, fit }
  }
  const baselineOnce = () => {
    const started = performance.now()
    const fit = plainBinomialIrls({
      design: data.design,
      columns: data.columns,
      successes: data.successes,
      trials: data.trials,
    })
    return { ms: performance.now() - started, fit }
  }
  fitOnce()
  baselineOnce()
  const fitTimes: number[] = []
  const baselineTimes: number[] = []
  let last = fitOnce()
  let lastBaseline = baselineOnce()
  for (let round = 0; round < 3; round += 1) {
    last = fitOnce()
    fitTimes.push(last.ms)
    lastBaseline = baselineOnce()
    baselineTimes.push(lastBaseline.ms)
  }
  const largestGap = Math.max(
    ...last.fit.coefficients.map(
      (coefficient, j) =>
        Math.abs(coefficient.estimate - lastBaseline.fit.coefficients[j]) / coefficient.std_error,
    ),
  )
  context.log(
    `model_fit: wasm ${median(fitTimes).toFixed(1)} ms (${last.fit.float32_iterations} float32 + ${last.fit.refinement_steps} float64 steps), ` +
      `plain float64 IRLS ${median(baselineTimes).toFixed(1)} ms (${lastBaseline.fit.iterations} iterations), ` +
      `largest coefficient gap ${largestGap.toExponential(2)} standard errors`,
  )
  return [withBaseline('model_fit_ms', median(fitTimes), 'ms', median(baselineTimes))]
}

export default modelFit
