import type { DidPanelRow, DidParams, DidWidePanel } from './did-params.js'

/** Options of {@link preprocessDid}. */
export interface PreprocessDidOptions {
  /** Confidence level of every interval, strictly between 0 and 1; default 0.95. */
  readonly confidenceLevel?: number
}

/**
 * Validates a long panel for the Callaway & Sant'Anna (2021) staggered difference-in-differences
 * estimator and standardises it into the {@link DidParams} object (the gatekeeper step of R did's
 * `att_gt` → `pre_process_did`).
 *
 * Handling, as R did 2.x `pre_process_did` does with `panel = TRUE, allow_unbalanced_panel = FALSE`:
 * - a unit missing any period, or with a non-finite outcome in any period, is dropped (the panel
 *   is made balanced) and a warning counts the dropped units;
 * - a unit whose group is at or before the first period (already treated when the panel starts,
 *   so it has no pre-period) is dropped with a warning;
 * - a unit whose group lies after the last period is never observed treated: it is recoded as
 *   never treated (group 0) with a warning.
 * Units are sorted by identifier, so every later result is independent of row order.
 *
 * @param rows long panel `{unit, time, outcome, group}`; `time` integer periods that together
 *   form a run of consecutive integers; `group` the unit's first treated period or 0, the same on
 *   all its rows; the caller's array is read, never mutated
 * @param options confidence level
 * @returns the params object (dense unit × time outcomes, unit groups, cohorts and sizes, warnings)
 * @throws TypeError for a malformed row; RangeError for duplicate (unit, time) rows, a group that
 *   changes within a unit, non-consecutive periods, fewer than two periods, no treated cohort or
 *   no never-treated unit
 * Complexity: O(R log R) for R rows (sorting units).
 */
export function preprocessDid(
  rows: readonly DidPanelRow[],
  options: PreprocessDidOptions = {},
): DidParams {
  const confidenceLevel = checkedConfidenceLevel('preprocessDid', options)
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new TypeError(
      'preprocessDid requires a non-empty array of {unit, time, outcome, group} rows',
    )
  }
  const groupOfUnit = new Map<string, number>()
  const timeSet = new Set<number>()
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]
    if (
      typeof row !== 'object' ||
      row === null ||
      typeof row.unit !== 'string' ||
      row.unit === ''
    ) {
      throw new TypeError(
        `preprocessDid requires a non-empty string unit on every row (row ${index})`,
      )
    }
    if (!Number.isInteger(row.time)) {
      throw new TypeError(
        `preprocessDid requires an integer time on every row (row ${index}), map periods to consecutive integers`,
      )
    }
    if (typeof row.outcome !== 'number') {
      throw new TypeError(
        `preprocessDid requires a numeric outcome on every row (row ${index}), use NaN for a missing value`,
      )
    }
    if (!Number.isInteger(row.group) || row.group < 0) {
      throw new TypeError(
        `preprocessDid requires group to be the first treated period or 0 for never treated (row ${index})`,
      )
    }
    const known = groupOfUnit.get(row.unit)
    if (known === undefined) groupOfUnit.set(row.unit, row.group)
    else if (known !== row.group) {
      throw new RangeError(
        `preprocessDid requires one group per unit, unit ${row.unit} has ${known} and ${row.group}`,
      )
    }
    timeSet.add(row.time)
  }
  const times = [...timeSet].sort((a, b) => a - b)
  checkConsecutiveTimes('preprocessDid', times)
  const firstTime = times[0]
  const timeCount = times.length

  const allUnits = [...groupOfUnit.keys()].sort(byCodePoint)
  const unitPosition = new Map<string, number>()
  allUnits.forEach((unit, position) => unitPosition.set(unit, position))
  const dense = new Float64Array(allUnits.length * timeCount).fill(Number.NaN)
  const seen = new Uint8Array(allUnits.length * timeCount)
  for (const row of rows) {
    const cell = (unitPosition.get(row.unit) as number) * timeCount + (row.time - firstTime)
    if (seen[cell] === 1) {
      throw new RangeError(
        `preprocessDid requires one row per unit and period, unit ${row.unit} has period ${row.time} twice`,
      )
    }
    seen[cell] = 1
    dense[cell] = row.outcome
  }
  const groups = allUnits.map((unit) => groupOfUnit.get(unit) as number)
  return balancedParams('preprocessDid', allUnits, groups, dense, times, confidenceLevel)
}

/**
 * {@link preprocessDid} for a panel the caller already holds wide, one outcome series per unit:
 * the same checks and handling (a NaN outcome is a missing period) and the same params as the
 * long rows `{unit, time: times[t], outcome: outcomes[t], group}` would give, without an object
 * per observation.
 *
 * @param panel `times`, ascending consecutive integers, and per unit its identifier, group (first
 *   treated period or 0) and one outcome per period; the caller's arrays are read, never mutated
 * @param options confidence level
 * @returns the params object, as {@link preprocessDid}
 * @throws TypeError for a malformed unit or series; RangeError for a duplicate unit,
 *   non-consecutive periods, fewer than two periods, no treated cohort or no never-treated unit
 * Complexity: O(n log n + n · T) for n units and T periods.
 */
export function preprocessDidWide(
  panel: DidWidePanel,
  options: PreprocessDidOptions = {},
): DidParams {
  const confidenceLevel = checkedConfidenceLevel('preprocessDidWide', options)
  if (typeof panel !== 'object' || panel === null) {
    throw new TypeError('preprocessDidWide requires a panel {times, units}')
  }
  const { times, units } = panel
  if (!Array.isArray(times) || !times.every((time) => Number.isInteger(time))) {
    throw new TypeError(
      'preprocessDidWide requires integer times, map periods to consecutive integers',
    )
  }
  checkConsecutiveTimes('preprocessDidWide', times)
  if (!Array.isArray(units) || units.length === 0) {
    throw new TypeError(
      'preprocessDidWide requires a non-empty array of {unit, outcomes, group} units',
    )
  }
  const timeCount = times.length
  units.forEach((entry, index) => {
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.unit !== 'string' ||
      entry.unit === ''
    ) {
      throw new TypeError(
        `preprocessDidWide requires a non-empty string unit on every unit (unit ${index})`,
      )
    }
    if (!Number.isInteger(entry.group) || entry.group < 0) {
      throw new TypeError(
        `preprocessDidWide requires group to be the first treated period or 0 for never treated (unit ${entry.unit})`,
      )
    }
    if (entry.outcomes?.length !== timeCount) {
      throw new TypeError(
        `preprocessDidWide requires one outcome per period, unit ${entry.unit} has ${entry.outcomes?.length ?? 'none'} of ${timeCount}, use NaN for a missing value`,
      )
    }
  })
  const order = units
    .map((_, index) => index)
    .sort((a, b) => byCodePoint(units[a].unit, units[b].unit))
  const allUnits = order.map((index) => units[index].unit)
  const dense = new Float64Array(allUnits.length * timeCount)
  order.forEach((index, position) => {
    if (position > 0 && allUnits[position] === allUnits[position - 1]) {
      throw new RangeError(
        `preprocessDidWide requires one series per unit, unit ${allUnits[position]} appears twice`,
      )
    }
    const { outcomes } = units[index]
    for (let t = 0; t < timeCount; t++) {
      const value = outcomes[t]
      if (typeof value !== 'number') {
        throw new TypeError(
          `preprocessDidWide requires numeric outcomes, unit ${allUnits[position]} has ${String(value)} in period ${times[t]}, use NaN for a missing value`,
        )
      }
      dense[position * timeCount + t] = value
    }
  })
  const groups = order.map((index) => units[index].group)
  return balancedParams('preprocessDidWide', allUnits, groups, dense, [...times], confidenceLevel)
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function checkedConfidenceLevel(caller: string, options: PreprocessDidOptions): number {
  const confidenceLevel = options.confidenceLevel ?? 0.95
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) {
    throw new RangeError(
      `${caller} requires a confidenceLevel strictly between 0 and 1, got ${confidenceLevel}`,
    )
  }
  return confidenceLevel
}

function checkConsecutiveTimes(caller: string, times: readonly number[]): void {
  if (times.length < 2) {
    throw new RangeError(`${caller} requires at least two periods`)
  }
  for (let index = 1; index < times.length; index++) {
    if (times[index] !== times[index - 1] + 1) {
      throw new RangeError(
        `${caller} requires consecutive integer periods, ${times[index - 1] + 1} is missing between ${times[0]} and ${times[times.length - 1]}`,
      )
    }
  }
}

/**
 * The common second half of {@link preprocessDid} and {@link preprocessDidWide}: from the dense
 * unit × time matrix of every unit (sorted), drops unbalanced and already-treated units, recodes
 * units treated after the last period, and counts cohorts, with the warnings.
 */
function balancedParams(
  caller: string,
  allUnits: readonly string[],
  allGroups: readonly number[],
  dense: Float64Array,
  times: readonly number[],
  confidenceLevel: number,
): DidParams {
  const warnings: string[] = []
  const firstTime = times[0]
  const lastTime = times[times.length - 1]
  const timeCount = times.length
  let droppedUnbalanced = 0
  let droppedEarly = 0
  let recodedLate = 0
  const keptUnits: number[] = []
  const keptGroups: number[] = []
  for (let position = 0; position < allUnits.length; position++) {
    let complete = true
    for (let t = 0; t < timeCount; t++) {
      if (!Number.isFinite(dense[position * timeCount + t])) {
        complete = false
        break
      }
    }
    if (!complete) {
      droppedUnbalanced++
      continue
    }
    let group = allGroups[position]
    if (group !== 0 && group <= firstTime) {
      droppedEarly++
      continue
    }
    if (group > lastTime) {
      group = 0
      recodedLate++
    }
    keptUnits.push(position)
    keptGroups.push(group)
  }
  if (droppedUnbalanced > 0) {
    warnings.push(
      `dropped ${droppedUnbalanced} unit(s) with a missing period or outcome to balance the panel`,
    )
  }
  if (droppedEarly > 0) {
    warnings.push(
      `dropped ${droppedEarly} unit(s) already treated in the first period ${firstTime} (no pre-period)`,
    )
  }
  if (recodedLate > 0) {
    warnings.push(
      `treated ${recodedLate} unit(s) first treated after the last period ${lastTime} as never treated`,
    )
  }

  const unitCount = keptUnits.length
  const outcomes = new Float64Array(unitCount * timeCount)
  const unitGroups = new Float64Array(unitCount)
  const unitIds: string[] = []
  const cohortCount = new Map<number, number>()
  let neverTreatedCount = 0
  for (let unit = 0; unit < unitCount; unit++) {
    const source = keptUnits[unit]
    outcomes.set(dense.subarray(source * timeCount, (source + 1) * timeCount), unit * timeCount)
    unitGroups[unit] = keptGroups[unit]
    unitIds.push(allUnits[source])
    if (keptGroups[unit] === 0) neverTreatedCount++
    else cohortCount.set(keptGroups[unit], (cohortCount.get(keptGroups[unit]) ?? 0) + 1)
  }
  if (neverTreatedCount === 0) {
    throw new RangeError(
      `${caller} requires at least one never-treated unit (group 0) with complete data, add control areas`,
    )
  }
  const cohorts = [...cohortCount.keys()].sort((a, b) => a - b)
  if (cohorts.length === 0) {
    throw new RangeError(
      `${caller} requires at least one treated unit first treated after the first period`,
    )
  }
  const cohortSizes = cohorts.map((cohort) => cohortCount.get(cohort) as number)
  cohorts.forEach((cohort, index) => {
    if (cohortSizes[index] < 2) {
      warnings.push(`cohort ${cohort} has a single unit: its ATT(g,t) rest on one area`)
    }
    if (cohort - firstTime < 2) {
      warnings.push(`cohort ${cohort} has one pre-period only: no pre-trend check is possible`)
    }
  })
  return Object.freeze({
    unitIds: Object.freeze(unitIds),
    times: Object.freeze(times),
    outcomes,
    unitGroups,
    cohorts: Object.freeze(cohorts),
    cohortSizes: Object.freeze(cohortSizes),
    neverTreatedCount,
    confidenceLevel,
    warnings: Object.freeze(warnings),
  })
}
