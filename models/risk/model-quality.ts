import { fitBinomialGlm, type NumericColumn, type Tensorflow } from './binomial-glm.js'
import { mulberry32 } from '../stats/seeded-random.js'
import { ascendingOrder } from './ascending-order.js'

export interface ModelQualityInput {
  /** Design the model was fitted on, rows × p (row-major Float64Array). */
  design: Float64Array
  termNames: readonly string[]
  successes: NumericColumn
  trials: NumericColumn
  /** The fitted probability per row from the fit on all rows. */
  fittedRisk: NumericColumn
  /** The fold unit per row (the area code): all rows of a group land in the same fold. */
  groups: readonly string[]
  /** Seed of the fold assignment (recorded in the result). */
  seed: number
  /** Number of cross-validation folds; default 5. */
  folds?: number
  /**
   * The estimates of the fit on all rows (original scale, design column order). When given, each
   * fold's refit starts there (`fitBinomialGlm`'s `start`: float64 Newton steps only), which
   * reaches the same estimates in far less time than a fit from scratch.
   */
  coefficients?: readonly number[]
}

export interface CalibrationDecile {
  /** 1 (lowest predicted risk) to 10. */
  decile: number
  n_rows: number
  /** Σ successes in the decile. */
  observed: number
  /** Σ trials × fitted risk in the decile. */
  expected: number
}

export interface ModelQuality {
  /** Σ[y(1−p)² + (n−y)p²] / Σn: the Brier score per young person. */
  brier: number
  calibration: CalibrationDecile[]
  /** Σ over folds of the held-out binomial deviance; null when there are fewer groups than folds. */
  cv_deviance: number | null
  cv_folds: number
  cv_seed: number
  warnings: string[]
}

const functionName = 'assessModelQuality'

/**
 * Row indices by fitted risk ascending, ties by successes then trials (then row order): the
 * stable `ascendingOrder` (a radix sort, no comparator call per row), then only runs of equal
 * risk sorted by comparator.
 */
function calibrationOrder(
  fittedRisk: NumericColumn,
  successes: NumericColumn,
  trials: NumericColumn,
): Int32Array {
  const risks = Float64Array.from(fittedRisk)
  const order = ascendingOrder(risks)
  for (let from = 0; from < order.length;) {
    let to = from + 1
    while (to < order.length && risks[order[to]] === risks[order[from]]) to += 1
    if (to - from > 1) {
      order.subarray(from, to).sort((a, b) => successes[a] - successes[b] || trials[a] - trials[b])
    }
    from = to
  }
  return order
}

function binomialDeviance(y: number, n: number, probability: number): number {
  let value = 0
  if (y > 0) value += y * Math.log(y / (n * probability))
  if (y < n) value += (n - y) * Math.log((n - y) / (n * (1 - probability)))
  return 2 * value
}

/**
 * Quality of a fitted binomial risk model (DESIGN.md §3, `quality` of a model run): the Brier
 * score per young person, calibration by decile of predicted risk, and K-fold cross-validated
 * deviance with folds by area.
 *
 * - Brier score (Brier 1950) for grouped binary outcomes: each of the n trials of a row is a
 *   0/1 outcome predicted with p, so the row contributes y·(1−p)² + (n−y)·p²; summed and divided
 *   by Σn (p = `fittedRisk`, y = `successes`, n = `trials`).
 * - Calibration: rows sorted by fitted risk (ties by successes then trials, so the result does
 *   not depend on row order) and cut into 10 groups of equal numbers of rows (sizes differ by at
 *   most one: decile k holds sorted rows ⌊(k−1)·N/10⌋ to ⌊k·N/10⌋ − 1); per decile the observed
 *   count Σy and the expected count Σn·p (a Hosmer–Lemeshow table without its statistic).
 * - Cross-validated deviance: the distinct `groups` (areas), sorted, are shuffled with a seeded
 *   Fisher–Yates shuffle (`mulberry32(seed)`) and dealt to `folds` folds in turn, so no area is
 *   in both training and test data; per fold the model is refitted on the other folds
 *   (`fitBinomialGlm` on them as a `subset`, started from the full fit's `coefficients` when
 *   given) and the binomial deviance 2·Σ[y·log(y/(n·p)) + (n−y)·log((n−y)/(n·(1−p)))] of the held-out rows is summed
 *   over folds (lower is better; compare with the in-sample deviance). Reference: Hastie, Tibshirani & Friedman (2009), Elements of Statistical
 *   Learning, §7.10 (grouped K-fold).
 *
 * @param tf the `@tensorflow/tfjs` namespace (backend initialised)
 * @param input design, termNames, successes, trials, fittedRisk, groups per row; seed; folds;
 *   optionally the full fit's coefficients (estimates, design column order)
 * @returns brier, calibration (10 deciles), cv_deviance, cv_folds, cv_seed and warnings
 * @throws RangeError on mismatched lengths or a fittedRisk outside (0, 1); NotIdentifiableError
 *   when a training fold cannot identify the model
 * Cost: `folds` refits, each O(rows·p²) per Newton step (a few float64 steps when started from
 * `coefficients`); calibration O(rows·log rows).
 */
export function assessModelQuality(tf: Tensorflow, input: ModelQualityInput): ModelQuality {
  const folds = input.folds ?? 5
  const { design, termNames, successes, trials, fittedRisk, groups, seed } = input
  const rows = trials.length
  const columns = termNames.length
  if (successes.length !== rows || fittedRisk.length !== rows || groups.length !== rows) {
    throw new RangeError(
      `${functionName} requires successes, trials, fittedRisk and groups of one length`,
    )
  }
  if (design.length !== rows * columns) {
    throw new RangeError(`${functionName} requires a design of rows × termNames.length values`)
  }
  if (!Number.isInteger(folds) || folds < 2) {
    throw new RangeError(`${functionName} requires folds of 2 or more, got ${folds}`)
  }
  if (rows === 0) throw new RangeError(`${functionName} requires at least one row`)
  for (let row = 0; row < rows; row += 1) {
    const probability = fittedRisk[row]
    if (!(probability > 0 && probability < 1)) {
      throw new RangeError(
        `${functionName} requires fittedRisk between 0 and 1, row ${row + 1} has ${probability}`,
      )
    }
  }

  // Brier score per young person.
  let squaredErrors = 0
  let totalTrials = 0
  for (let row = 0; row < rows; row += 1) {
    const p = fittedRisk[row]
    const y = successes[row]
    const n = trials[row]
    squaredErrors += y * (1 - p) ** 2 + (n - y) * p ** 2
    totalTrials += n
  }

  // Calibration by decile of predicted risk.
  const order = calibrationOrder(fittedRisk, successes, trials)
  const calibration: CalibrationDecile[] = []
  for (let decile = 1; decile <= 10; decile += 1) {
    const from = Math.floor(((decile - 1) * rows) / 10)
    const to = Math.floor((decile * rows) / 10)
    let observed = 0
    let expected = 0
    for (let position = from; position < to; position += 1) {
      const row = order[position]
      observed += successes[row]
      expected += trials[row] * fittedRisk[row]
    }
    calibration.push({ decile, n_rows: to - from, observed, expected })
  }

  // Cross-validated deviance, folds by group.
  const warnings: string[] = []
  const distinct = [...new Set(groups)].sort()
  let cvDeviance: number | null = null
  if (distinct.length < folds) {
    warnings.push(
      `cross-validation needs at least ${folds} areas for ${folds} folds, found ${distinct.length}: cv_deviance is null`,
    )
  } else {
    const random = mulberry32(seed)
    for (let index = distinct.length - 1; index > 0; index -= 1) {
      const swap = Math.floor(random() * (index + 1))
      const held = distinct[index]
      distinct[index] = distinct[swap]
      distinct[swap] = held
    }
    const foldOfGroup = new Map<string, number>()
    distinct.forEach((group, position) => foldOfGroup.set(group, position % folds))
    const foldOfRow = Int32Array.from(groups, (group) => foldOfGroup.get(group) ?? 0)
    cvDeviance = 0
    const training = new Int32Array(rows)
    for (let fold = 0; fold < folds; fold += 1) {
      let trainRows = 0
      for (let row = 0; row < rows; row += 1)
        if (foldOfRow[row] !== fold) training[trainRows++] = row
      const fit = fitBinomialGlm(tf, {
        design,
        successes,
        trials,
        termNames,
        start: input.coefficients,
        subset: training.subarray(0, trainRows),
      })
      const estimates = fit.coefficients.map((coefficient) => coefficient.estimate)
      for (let row = 0; row < rows; row += 1) {
        if (foldOfRow[row] !== fold) continue
        let linear = 0
        for (let j = 0; j < columns; j += 1) linear += design[row * columns + j] * estimates[j]
        const probability = 1 / (1 + Math.exp(-linear))
        cvDeviance += binomialDeviance(successes[row], trials[row], probability)
      }
    }
  }

  return {
    brier: squaredErrors / totalTrials,
    calibration,
    cv_deviance: cvDeviance,
    cv_folds: folds,
    cv_seed: seed,
    warnings,
  }
}
