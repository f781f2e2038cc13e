import type {
  SyntheticControlOptions,
  SyntheticControlPanel,
  SyntheticControlParams,
} from './synthetic-control-params.js'

/**
 * Validates a wide panel for the synthetic control method of Abadie, Diamond & Hainmueller (2010)
 * and builds its {@link SyntheticControlParams}: the dense outcome matrix and the predictor
 * matrix, one row per unit holding each predictor's value — the mean of its variable over its
 * window of periods, missing values (NaN) ignored as R Synth's `dataprep` does with `na.rm`.
 * Units are sorted by identifier, so every later result is independent of input order.
 *
 * @param panel periods (consecutive integers) and units with an outcome per period
 * @param options predictors, treatment start, fit window and V choice (see
 *   {@link SyntheticControlOptions})
 * @returns the params object; the caller's arrays are copied, never kept or mutated
 * @throws TypeError for malformed units or series; RangeError for duplicate identifiers,
 *   non-consecutive periods, a treatment start without a pre- and post-period, a predictor window
 *   outside the pre-period, or a predictor with no value for some unit
 * Complexity: O(n · (T + Σ window lengths)) for n units and T periods.
 */
export function prepareSyntheticControl(
  panel: SyntheticControlPanel,
  options: SyntheticControlOptions,
): SyntheticControlParams {
  const { times, units } = panel
  if (!Array.isArray(times) || times.length < 2) {
    throw new TypeError('prepareSyntheticControl requires at least two periods in panel.times')
  }
  for (let index = 0; index < times.length; index++) {
    if (!Number.isInteger(times[index]) || (index > 0 && times[index] !== times[index - 1] + 1)) {
      throw new RangeError(
        'prepareSyntheticControl requires panel.times to be ascending consecutive integers, map quarters to 0, 1, 2, …',
      )
    }
  }
  if (!Array.isArray(units) || units.length < 2) {
    throw new TypeError(
      'prepareSyntheticControl requires at least two units (a treated unit and a donor)',
    )
  }
  const timeCount = times.length
  const firstTime = times[0]
  const indexOfTime = (time: number, what: string): number => {
    const index = time - firstTime
    if (!Number.isInteger(time) || index < 0 || index >= timeCount) {
      throw new RangeError(
        `prepareSyntheticControl requires ${what} to be one of panel.times (${firstTime}…${times[timeCount - 1]}), got ${time}`,
      )
    }
    return index
  }
  const treatmentStartIndex = indexOfTime(options.treatmentStart, 'treatmentStart')
  if (treatmentStartIndex < 1) {
    throw new RangeError(
      'prepareSyntheticControl requires at least one pre-treatment period, start the treatment later',
    )
  }
  const fitStartIndex = options.fitFrom === undefined ? 0 : indexOfTime(options.fitFrom, 'fitFrom')
  if (fitStartIndex >= treatmentStartIndex) {
    throw new RangeError('prepareSyntheticControl requires fitFrom before treatmentStart')
  }
  const predictors = options.predictors
  if (!Array.isArray(predictors) || predictors.length === 0) {
    throw new TypeError('prepareSyntheticControl requires at least one predictor specification')
  }
  const windows = predictors.map((spec) => {
    const from = indexOfTime(spec.from, `predictor ${spec.variable} from`)
    const to = indexOfTime(spec.to, `predictor ${spec.variable} to`)
    if (from > to || to >= treatmentStartIndex) {
      throw new RangeError(
        `prepareSyntheticControl requires predictor windows inside the pre-period, ${spec.variable} ${spec.from}–${spec.to} is not before ${options.treatmentStart}`,
      )
    }
    return {
      variable: spec.variable,
      from,
      to,
      name: spec.name ?? `${spec.variable}_${spec.from}_${spec.to}`,
    }
  })

  const order = units.map((unit, position) => {
    if (
      typeof unit !== 'object' ||
      unit === null ||
      typeof unit.id !== 'string' ||
      unit.id === ''
    ) {
      throw new TypeError(
        `prepareSyntheticControl requires a non-empty string id on every unit (unit ${position})`,
      )
    }
    return position
  })
  order.sort((a, b) => (units[a].id < units[b].id ? -1 : units[a].id > units[b].id ? 1 : 0))
  const unitCount = units.length
  const predictorCount = windows.length
  const outcomes = new Float64Array(unitCount * timeCount)
  const predictorMatrix = new Float64Array(unitCount * predictorCount)
  const populations = new Float64Array(unitCount)
  const unitIds: string[] = []
  const unitIndex = new Map<string, number>()
  order.forEach((source, unit) => {
    const { id, outcome, covariates, population } = units[source]
    if (unitIndex.has(id)) {
      throw new RangeError(`prepareSyntheticControl requires unique unit ids, ${id} appears twice`)
    }
    unitIndex.set(id, unit)
    unitIds.push(id)
    if (!Array.isArray(outcome) || outcome.length !== timeCount) {
      throw new TypeError(
        `prepareSyntheticControl requires one outcome per period for every unit, ${id} has ${Array.isArray(outcome) ? outcome.length : 'none'} of ${timeCount}`,
      )
    }
    for (let t = 0; t < timeCount; t++) {
      const value = outcome[t]
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new TypeError(
          `prepareSyntheticControl requires finite outcomes, ${id} has ${String(value)} in period ${times[t]}: impute it or leave the unit out`,
        )
      }
      outcomes[unit * timeCount + t] = value
    }
    const weight = population ?? 1
    if (!(weight >= 0) || !Number.isFinite(weight)) {
      throw new RangeError(
        `prepareSyntheticControl requires a finite population ≥ 0, ${id} has ${weight}`,
      )
    }
    populations[unit] = weight
    windows.forEach((window, m) => {
      const series = window.variable === 'outcome' ? outcome : covariates?.[window.variable]
      if (!Array.isArray(series) || series.length !== timeCount) {
        throw new TypeError(
          `prepareSyntheticControl requires covariate ${window.variable} with one value per period for unit ${id}`,
        )
      }
      let sum = 0
      let count = 0
      for (let t = window.from; t <= window.to; t++) {
        const value = series[t]
        if (typeof value === 'number' && Number.isFinite(value)) {
          sum += value
          count++
        }
      }
      if (count === 0) {
        throw new RangeError(
          `prepareSyntheticControl requires a value of ${window.name} for every unit, ${id} has none in its window: widen the window or drop the unit`,
        )
      }
      predictorMatrix[unit * predictorCount + m] = sum / count
    })
  })
  const positive = (value: number | undefined, fallback: number, what: string): number => {
    const resolved = value ?? fallback
    if (!(resolved > 0))
      throw new RangeError(`prepareSyntheticControl requires ${what} > 0, got ${resolved}`)
    return resolved
  }
  const predictorWeighting = options.predictorWeighting ?? 'nested'
  if (!['nested', 'regression', 'equal'].includes(predictorWeighting)) {
    throw new RangeError(
      `prepareSyntheticControl requires predictorWeighting nested, regression or equal, got ${String(predictorWeighting)}`,
    )
  }
  return Object.freeze({
    unitIds: Object.freeze(unitIds),
    unitIndex,
    times: Object.freeze([...times]),
    outcomes,
    predictors: predictorMatrix,
    predictorNames: Object.freeze(windows.map((window) => window.name)),
    populations,
    treatmentStartIndex,
    fitStartIndex,
    predictorWeighting,
    maxEvaluations: Math.floor(positive(options.maxEvaluations, 150, 'maxEvaluations')),
    relativeTolerance: positive(options.relativeTolerance, 1e-8, 'relativeTolerance'),
    poorFitShare: positive(options.poorFitShare, 0.1, 'poorFitShare'),
    minPrePeriods: Math.floor(positive(options.minPrePeriods, 8, 'minPrePeriods')),
  })
}
