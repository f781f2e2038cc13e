import type { SyntheticControlParams } from './synthetic-control-params.js'
import { fitSyntheticControl } from './fit-synthetic-control.js'

/** One pool member's placebo fit: the member treated as if treated, the rest as donors. */
export interface PlaceboFit {
  /** Index in `params.unitIds`. */
  readonly unit: number
  readonly id: string
  /** Gap per period (observed − synthetic), indexed like `params.times`. */
  readonly gap: Float64Array
  readonly preMspe: number
  readonly postMspe: number
  /** postMspe / preMspe. */
  readonly mspeRatio: number
  /** Mean post-period gap. */
  readonly meanPostGap: number
  /** Population weight of the member. */
  readonly population: number
}

/** Placebo fits of a whole donor pool, computed once and shared by every treated unit. */
export interface PlaceboPool {
  readonly params: SyntheticControlParams
  /** Pool member indices in `params.unitIds`, ascending. */
  readonly members: Int32Array
  /** Fits parallel to `members`. */
  readonly fits: readonly PlaceboFit[]
}

/**
 * Placebo-in-space fits for a donor pool (Abadie, Diamond & Hainmueller 2010, section 4.2):
 * each pool member in turn is treated as if it had received the intervention at the treatment
 * start, and a synthetic control is fitted for it from the other members (treated units never
 * enter a placebo's donors). The distribution of the members' post/pre MSPE ratios is the null
 * distribution of the treated units' ratios, and their gaps build the placebo groups of the
 * aggregate. The fits do not depend on the treated units, so one pool serves every treated unit
 * of an intervention ({@link estimateSyntheticControl}, {@link aggregateSyntheticControl}).
 *
 * Reference: ADH (2010), JASA 105(490), section 4.2 and Figure 7. Software matched: the placebo
 * loop of R Synth / Stata `synth_runner` (ratio statistic, treated unit excluded from placebo pools).
 *
 * @param params from {@link prepareSyntheticControl}, holding the pool members
 * @param poolIds identifiers of the pool members (never-treated units), at least 2
 * @returns per-member gaps, MSPEs and ratios
 * @throws RangeError for unknown or repeated identifiers or a pool of fewer than 2 members
 * Complexity: J fits of {@link fitSyntheticControl} with J − 1 donors each.
 */
export function fitPlaceboPool(
  params: SyntheticControlParams,
  poolIds: readonly string[],
): PlaceboPool {
  const members = resolvePool(params, poolIds, 'fitPlaceboPool')
  if (members.length < 2) {
    throw new RangeError('fitPlaceboPool requires at least 2 pool members, enlarge the donor pool')
  }
  return { params, members, fits: [...placeboFits(params, members)] }
}

/**
 * The placebo fits one at a time, each pool member against all the others (the loop of
 * {@link fitPlaceboPool}): a caller that must stay responsive (the service) can pause between
 * members. `members` are pool indices as {@link resolvePool} returns them.
 */
export function* placeboFits(
  params: SyntheticControlParams,
  members: Int32Array,
): Generator<PlaceboPool['fits'][number]> {
  const donors = new Int32Array(members.length - 1)
  for (let position = 0; position < members.length; position++) {
    const member = members[position]
    donors.set(members.subarray(0, position), 0)
    donors.set(members.subarray(position + 1), position)
    const fit = fitSyntheticControl(params, member, donors)
    yield {
      unit: member,
      id: params.unitIds[member],
      gap: fit.gap,
      preMspe: fit.preMspe,
      postMspe: fit.postMspe,
      mspeRatio: fit.mspeRatio,
      meanPostGap: fit.meanPostGap,
      population: params.populations[member],
    }
  }
}

/** Indices of pool identifiers, ascending; throws on unknown or repeated ones. */
export function resolvePool(
  params: SyntheticControlParams,
  poolIds: readonly string[],
  caller: string,
): Int32Array {
  if (!Array.isArray(poolIds)) {
    throw new TypeError(`${caller} requires an array of pool identifiers`)
  }
  const members = Int32Array.from(poolIds, (id) => {
    const index = params.unitIndex.get(id)
    if (index === undefined) {
      throw new RangeError(`${caller} requires pool members present in the panel, ${id} is not`)
    }
    return index
  }).sort()
  for (let position = 1; position < members.length; position++) {
    if (members[position] === members[position - 1]) {
      throw new RangeError(
        `${caller} requires distinct pool members, ${params.unitIds[members[position]]} repeats`,
      )
    }
  }
  return members
}
