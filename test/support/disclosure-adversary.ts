import type { FastifyInstance } from 'fastify'
import { shiftPeriod } from '../../models/periods/quarter.js'
import { poissonRateTest } from '../../models/stats/poisson-rate-test.js'
import { mannKendallScore, scoreVariance } from '../../models/trends/mann-kendall-steps.js'

/**
 * An automated disclosure adversary (issue 14, "Then attack it"; DESIGN.md §5).
 *
 * As a viewer key scoped to one municipality it reads every route a viewer can read, turns each
 * value shown into a constraint on the stored counts, and solves for every suppressed cell. The
 * property under test: no quantity shown to a viewer may, together with the other quantities
 * shown to that viewer at any time, determine a suppressed count.
 *
 * Two parts:
 * - a small finite-domain solver ({@link DisclosureSolver}): every unknown (a count or a youth
 *   population of one neighbourhood, quarter and state) is a set of candidate integers; every
 *   observation is a constraint over a few unknowns, checked by enumeration (tuples, integer sums
 *   by dynamic programming, real-valued sums meet-in-the-middle, Mann-Kendall steps by dynamic
 *   programming) and propagated to a fixpoint: a candidate without a satisfying assignment of
 *   the other unknowns is removed. At each fixpoint, sums over nearly the same unknowns are
 *   differenced (consecutive 4-quarter windows, a district before and after a revision) and
 *   propagation resumes. A suppressed cell is recovered when one candidate is left;
 * - route readers ({@link readers}): one per route family, each a fetch (viewer requests) and an
 *   observe (constraints from the answers). A new route is one more reader.
 *
 * The adversary knows the disclosure algorithm (Kerckhoffs), not the data: each reader writes
 * its observations twice, as computed from exact values and as computed from the rounded table
 * (issue 14's fix), and per reader and read the solver keeps the reading the stored values fit.
 * Soundness is checked, not assumed: every constraint is evaluated on the true (admin) values;
 * one the truth violates means a reader misreads its route (or the route shows something other
 * than it claims) and is reported as an inconsistency, never used.
 */

// =============================================================================================
// Solver
// =============================================================================================

/** Candidate values of one unknown, ascending, distinct. */
export type Domain = readonly number[]

/** A relation over unknowns that can narrow their candidate sets. */
export interface Constraint {
  /** Which reader (route family and aspect) it came from: the breakdown of the report. */
  readonly reader: string
  /** What it says, for inconsistency reports. */
  readonly label: string
  /** The unknowns it involves (distinct). */
  readonly vars: readonly number[]
  /** Whether the true values satisfy it. */
  holds(truth: (variable: number) => number): boolean
  /** Enumeration size at the current domains (an upper bound); above `cap` it waits. */
  size(domains: readonly Domain[]): number
  readonly cap: number
  /**
   * The narrowed domain of each of `vars` (same order; undefined when unchanged), or null when
   * the enumeration turned out larger than allowed (nothing learnt).
   */
  narrow(domains: readonly Domain[]): (Domain | undefined)[] | null
}

/** The number of tuples of candidates of `vars`. */
function productSize(domains: readonly Domain[], vars: readonly number[]): number {
  let size = 1
  for (const variable of vars) size *= domains[variable].length
  return size
}

/**
 * A predicate over a few unknowns, checked on every tuple of candidates (generalised arc
 * consistency by enumeration).
 */
export class TupleConstraint implements Constraint {
  constructor(
    readonly reader: string,
    readonly label: string,
    readonly vars: readonly number[],
    private readonly predicate: (values: readonly number[]) => boolean,
    readonly cap: number = 2_000_000,
  ) {}

  holds(truth: (variable: number) => number): boolean {
    return this.predicate(this.vars.map(truth))
  }

  size(domains: readonly Domain[]): number {
    return productSize(domains, this.vars)
  }

  narrow(domains: readonly Domain[]): (Domain | undefined)[] | null {
    const count = this.vars.length
    const lists = this.vars.map((variable) => domains[variable])
    if (lists.some((list) => list.length === 0)) return lists.map(() => [])
    const supported = lists.map((list) => new Uint8Array(list.length))
    let unsupported = lists.reduce((sum, list) => sum + list.length, 0)
    const index = new Array<number>(count).fill(0)
    const values = lists.map((list) => list[0])
    for (;;) {
      if (this.predicate(values)) {
        for (let position = 0; position < count; position++) {
          if (supported[position][index[position]] === 0) {
            supported[position][index[position]] = 1
            unsupported--
          }
        }
        if (unsupported === 0) break
      }
      let position = count - 1
      while (position >= 0) {
        index[position]++
        if (index[position] < lists[position].length) {
          values[position] = lists[position][index[position]]
          break
        }
        index[position] = 0
        values[position] = lists[position][0]
        position--
      }
      if (position < 0) break
    }
    return lists.map((list, position) =>
      supported[position].every((flag) => flag === 1)
        ? undefined
        : list.filter((_, at) => supported[position][at] === 1),
    )
  }
}

/** Σ coefficient·unknown over distinct unknowns (coefficients whole numbers, default 1). */
export interface LinearForm {
  vars: readonly number[]
  coefficients?: readonly number[]
  /** What of each unknown enters the sum (default: the value itself; e.g. its rounded value). */
  transform?: (value: number) => number
}

/** The value of one unknown as it enters a form. */
const termOf = (form: LinearForm, j: number, value: number) =>
  (form.transform ? form.transform(value) : value) * (form.coefficients?.[j] ?? 1)

/** Reachable partial sums of a form, layer by layer (layer j: after the first j unknowns). */
interface SumLayers {
  lows: number[]
  sets: Uint8Array[]
}

function forwardLayers(form: LinearForm, domains: readonly Domain[]): SumLayers {
  const lows = [0]
  const highs = [0]
  const sets = [Uint8Array.of(1)]
  for (let j = 0; j < form.vars.length; j++) {
    const domain = domains[form.vars[j]]
    const terms = Int32Array.from(domain, (value) => termOf(form, j, value))
    let smallest = terms[0]
    let largest = terms[0]
    for (const term of terms) {
      if (term < smallest) smallest = term
      if (term > largest) largest = term
    }
    const low = lows[j] + smallest
    const high = highs[j] + largest
    const next = new Uint8Array(high - low + 1)
    const previous = sets[j]
    const shift = lows[j] - low
    for (let s = 0; s < previous.length; s++) {
      if (previous[s] === 0) continue
      const base = s + shift
      for (let at = 0; at < terms.length; at++) next[base + terms[at]] = 1
    }
    lows.push(low)
    highs.push(high)
    sets.push(next)
  }
  return { lows, sets }
}

/**
 * A relation over the values of a few integer linear forms (sums of unknowns): "Σ of four
 * quarters lies in 15 ± 2", "Σ counts / Σ populations equals this rate". Reachable sums are found
 * by dynamic programming, the relation is enumerated over the forms' reachable sums, and each
 * unknown keeps the candidates that reach a supported sum.
 */
export class SumRelationConstraint implements Constraint {
  readonly vars: readonly number[]
  /** Per form, the smallest and largest sum left after the last narrowing (for differencing). */
  readonly ranges: ([number, number] | undefined)[]

  constructor(
    readonly reader: string,
    readonly label: string,
    readonly forms: readonly LinearForm[],
    private readonly relation: (sums: readonly number[]) => boolean,
    readonly cap: number = 2_000_000,
  ) {
    this.vars = forms.flatMap((form) => form.vars)
    if (new Set(this.vars).size !== this.vars.length) {
      throw new RangeError(`SumRelationConstraint requires distinct unknowns: ${label}`)
    }
    this.ranges = forms.map(() => undefined)
  }

  private sumOf(form: LinearForm, value: (variable: number) => number): number {
    return form.vars.reduce((sum, variable, j) => sum + termOf(form, j, value(variable)), 0)
  }

  holds(truth: (variable: number) => number): boolean {
    return this.relation(this.forms.map((form) => this.sumOf(form, truth)))
  }

  /** The product of the forms' sum ranges, plus the dynamic programme's work (a sixteenth). */
  size(domains: readonly Domain[]): number {
    let size = 1
    let work = 0
    for (const form of this.forms) {
      let low = 0
      let high = 0
      form.vars.forEach((variable, j) => {
        const domain = domains[variable]
        const a = termOf(form, j, domain[0])
        const b = termOf(form, j, domain[domain.length - 1])
        work += (high - low + 1) * domain.length
        low += Math.min(a, b)
        high += Math.max(a, b)
      })
      size *= high - low + 1
    }
    return size + work / 16
  }

  narrow(domains: readonly Domain[]): (Domain | undefined)[] | null {
    if (this.vars.some((variable) => domains[variable].length === 0)) {
      return this.vars.map(() => [])
    }
    const layers = this.forms.map((form) => forwardLayers(form, domains))
    const finals = layers.map(({ lows, sets }) => {
      const last = sets[sets.length - 1]
      const low = lows[lows.length - 1]
      const sums: number[] = []
      for (let s = 0; s < last.length; s++) if (last[s] === 1) sums.push(s + low)
      return sums
    })
    let product = 1
    for (const sums of finals) product *= sums.length
    if (product > this.cap) return null
    const supported = finals.map((sums) => new Uint8Array(sums.length))
    const index = new Array<number>(finals.length).fill(0)
    const values = finals.map((sums) => sums[0])
    for (;;) {
      if (this.relation(values)) {
        for (let f = 0; f < finals.length; f++) supported[f][index[f]] = 1
      }
      let position = finals.length - 1
      while (position >= 0) {
        index[position]++
        if (index[position] < finals[position].length) {
          values[position] = finals[position][index[position]]
          break
        }
        index[position] = 0
        values[position] = finals[position][0]
        position--
      }
      if (position < 0) break
    }
    finals.forEach((sums, f) => {
      let low = Number.POSITIVE_INFINITY
      let high = Number.NEGATIVE_INFINITY
      sums.forEach((sum, at) => {
        if (supported[f][at] === 0) return
        if (sum < low) low = sum
        if (sum > high) high = sum
      })
      if (low <= high) this.ranges[f] = [low, high]
    })
    const result: (Domain | undefined)[] = []
    this.forms.forEach((form, f) => {
      const { lows, sets } = layers[f]
      const k = form.vars.length
      if (supported[f].every((flag) => flag === 1)) {
        for (let j = 0; j < k; j++) result.push(undefined)
        return
      }
      // backward: which partial sums after j unknowns can still reach a supported total
      let completes = new Uint8Array(sets[k].length)
      finals[f].forEach((sum, at) => {
        if (supported[f][at] === 1) completes[sum - lows[k]] = 1
      })
      const narrowed: (Domain | undefined)[] = new Array(k)
      for (let j = k - 1; j >= 0; j--) {
        const domain = domains[form.vars[j]]
        const terms = domain.map((value) => termOf(form, j, value))
        const reachable = sets[j]
        const here = new Uint8Array(reachable.length)
        const keep = new Uint8Array(domain.length)
        const shift = lows[j] - lows[j + 1]
        const limit = completes.length
        for (let s = 0; s < reachable.length; s++) {
          if (reachable[s] === 0) continue
          const base = s + shift
          for (let at = 0; at < domain.length; at++) {
            const next = base + terms[at]
            if (next >= 0 && next < limit && completes[next] === 1) {
              keep[at] = 1
              here[s] = 1
            }
          }
        }
        narrowed[j] = keep.every((flag) => flag === 1)
          ? undefined
          : domain.filter((_, at) => keep[at] === 1)
        completes = here
      }
      result.push(...narrowed)
    })
    return result
  }
}

/** One term of a real-valued sum: a function of a few unknowns. */
export interface RealTerm {
  vars: readonly number[]
  value: (values: readonly number[]) => number
}

/**
 * Σ terms = target ± tolerance over real-valued terms (weighted rates c/n, squared gaps):
 * "Σ count_t / population_t over the post quarters is known". Each term's possible values are
 * enumerated over its unknowns; the terms are split in two halves and matched
 * meet-in-the-middle (bucketed by the tolerance), marking the options that take part in a
 * solution. Terms must not share unknowns.
 */
export class RealSumConstraint implements Constraint {
  readonly vars: readonly number[]

  constructor(
    readonly reader: string,
    readonly label: string,
    private readonly terms: readonly RealTerm[],
    private readonly target: number,
    private readonly tolerance: number,
    readonly cap: number = 1_000_000,
  ) {
    this.vars = terms.flatMap((term) => term.vars)
    if (new Set(this.vars).size !== this.vars.length) {
      throw new RangeError(`RealSumConstraint requires terms over distinct unknowns: ${label}`)
    }
  }

  holds(truth: (variable: number) => number): boolean {
    let sum = 0
    for (const term of this.terms) sum += term.value(term.vars.map(truth))
    return Math.abs(sum - this.target) <= this.tolerance
  }

  /** The larger half's enumeration, roughly (the halves are balanced in `narrow`). */
  size(domains: readonly Domain[]): number {
    return Math.sqrt(productSize(domains, this.vars))
  }

  narrow(domains: readonly Domain[]): (Domain | undefined)[] | null {
    interface Options {
      term: number
      values: number[]
      /** per option, the index of each unknown's value in its domain */
      choices: number[][]
    }
    let constant = 0
    const open: Options[] = []
    for (const [termIndex, term] of this.terms.entries()) {
      const lists = term.vars.map((variable) => domains[variable])
      if (lists.some((list) => list.length === 0)) return this.vars.map(() => [])
      const size = lists.reduce((product, list) => product * list.length, 1)
      if (size > 100_000) return null
      const options: Options = { term: termIndex, values: [], choices: [] }
      const index = new Array<number>(lists.length).fill(0)
      for (;;) {
        const value = term.value(index.map((at, position) => lists[position][at]))
        if (Number.isFinite(value)) {
          options.values.push(value)
          options.choices.push([...index])
        }
        let position = lists.length - 1
        while (position >= 0) {
          index[position]++
          if (index[position] < lists[position].length) break
          index[position] = 0
          position--
        }
        if (position < 0) break
      }
      if (options.values.length === 0) return this.vars.map(() => [])
      if (options.values.length === 1) constant += options.values[0]
      else open.push(options)
    }
    const goal = this.target - constant
    if (open.length === 0) {
      return Math.abs(goal) <= this.tolerance ? this.vars.map(() => undefined) : null
    }
    // two halves of about equal enumeration size
    const halves: Options[][] = [[], []]
    const sizes = [1, 1]
    for (const options of [...open].sort((a, b) => b.values.length - a.values.length)) {
      const half = sizes[0] <= sizes[1] ? 0 : 1
      halves[half].push(options)
      sizes[half] *= options.values.length
    }
    if (sizes[0] > this.cap || sizes[1] > this.cap) return null
    const enumerate = (half: Options[]) => {
      const total = half.reduce((product, options) => product * options.values.length, 1)
      const sums = new Float64Array(total)
      for (let code = 0; code < total; code++) {
        let rest = code
        let sum = 0
        for (const options of half) {
          const count = options.values.length
          sum += options.values[rest % count]
          rest = Math.floor(rest / count)
        }
        sums[code] = sum
      }
      return sums
    }
    const left = enumerate(halves[0])
    const right = enumerate(halves[1])
    const width = Math.max(2 * this.tolerance, Number.MIN_VALUE)
    const buckets = new Map<number, number[]>()
    left.forEach((sum, code) => {
      const key = Math.floor(sum / width)
      const bucket = buckets.get(key)
      if (bucket) bucket.push(code)
      else buckets.set(key, [code])
    })
    const leftSupported = new Uint8Array(left.length)
    const rightSupported = new Uint8Array(right.length)
    let work = 0
    for (let code = 0; code < right.length; code++) {
      const wanted = goal - right[code]
      const key = Math.floor(wanted / width)
      for (let near = key - 1; near <= key + 1; near++) {
        const bucket = buckets.get(near)
        if (!bucket) continue
        work += bucket.length
        if (work > 50_000_000) return null
        for (const other of bucket) {
          if (Math.abs(left[other] + right[code] - goal) <= this.tolerance) {
            leftSupported[other] = 1
            rightSupported[code] = 1
          }
        }
      }
    }
    // options taking part in a solution, per term
    const kept = new Map<number, Set<number>>()
    const mark = (half: Options[], supported: Uint8Array) => {
      for (const options of half) kept.set(options.term, new Set())
      supported.forEach((flag, code) => {
        if (flag === 0) return
        let rest = code
        for (const options of half) {
          const count = options.values.length
          kept.get(options.term)!.add(rest % count)
          rest = Math.floor(rest / count)
        }
      })
    }
    mark(halves[0], leftSupported)
    mark(halves[1], rightSupported)
    const result: (Domain | undefined)[] = []
    for (const [termIndex, term] of this.terms.entries()) {
      const options = open.find((entry) => entry.term === termIndex)
      if (!options) {
        for (let at = 0; at < term.vars.length; at++) result.push(undefined)
        continue
      }
      const chosen = kept.get(termIndex)!
      term.vars.forEach((variable, position) => {
        const domain = domains[variable]
        const keep = new Uint8Array(domain.length)
        for (const option of chosen) keep[options.choices[option][position]] = 1
        result.push(
          keep.every((flag) => flag === 1) ? undefined : domain.filter((_, at) => keep[at] === 1),
        )
      })
    }
    return result
  }
}

/**
 * How one new value ranks among earlier ones, as a Mann-Kendall step tells it: S grows by
 * (earlier values below it) − (earlier values above it), and var(S) by an amount fixed by how
 * many earlier values are present and how many equal it. Each item is a value of a few unknowns
 * (a rate c/n; NaN for a missing one); the last item is the new value. Checked by dynamic
 * programming over the earlier items for each candidate new value, so it needs no enumeration
 * of their combinations.
 */
export class RankStepConstraint implements Constraint {
  readonly vars: readonly number[]

  constructor(
    readonly reader: string,
    readonly label: string,
    private readonly items: readonly RealTerm[],
    /** The change of S. */
    private readonly scoreStep: number,
    /** The change of var(S) (present earlier values m, ties g: see `varianceStep`). */
    private readonly varianceStep: number,
    readonly cap: number = 2_000_000,
  ) {
    this.vars = items.flatMap((item) => item.vars)
    if (new Set(this.vars).size !== this.vars.length) {
      throw new RangeError(`RankStepConstraint requires items over distinct unknowns: ${label}`)
    }
  }

  /** var(S)·18 grows by T(m+1) − T(m) − (T(g+1) − T(g)), T(k) = k(k−1)(2k+5). */
  static varianceStep(present: number, ties: number): number {
    const grow = (k: number) => k * (k - 1) * (2 * k + 5)
    return (grow(present + 1) - grow(present) - (grow(ties + 1) - grow(ties))) / 18
  }

  private fits(score: number, present: number, ties: number): boolean {
    return (
      score === this.scoreStep &&
      Math.abs(RankStepConstraint.varianceStep(present, ties) - this.varianceStep) < 1e-6
    )
  }

  holds(truth: (variable: number) => number): boolean {
    const values = this.items.map((item) => item.value(item.vars.map(truth)))
    const newest = values[values.length - 1]
    if (Number.isNaN(newest)) return this.scoreStep === 0 && Math.abs(this.varianceStep) < 1e-6
    let score = 0
    let present = 0
    let ties = 0
    for (const value of values.slice(0, -1)) {
      if (Number.isNaN(value)) continue
      present++
      if (newest > value) score++
      else if (newest < value) score--
      else ties++
    }
    return this.fits(score, present, ties)
  }

  /** Candidate values of each item times the states of the programme. */
  size(domains: readonly Domain[]): number {
    let options = 0
    for (const item of this.items) {
      let product = 1
      for (const variable of item.vars) product *= domains[variable].length
      options += product
    }
    const earlier = this.items.length - 1
    return options * (2 * earlier + 1) * (earlier + 1)
  }

  narrow(domains: readonly Domain[]): (Domain | undefined)[] | null {
    // every item's options: the value and the index of each unknown's value
    const options = this.items.map((item) => {
      const lists = item.vars.map((variable) => domains[variable])
      const values: number[] = []
      const choices: number[][] = []
      const index = new Array<number>(lists.length).fill(0)
      if (lists.some((list) => list.length === 0)) return { values, choices }
      for (;;) {
        values.push(item.value(index.map((at, position) => lists[position][at])))
        choices.push([...index])
        let position = lists.length - 1
        while (position >= 0) {
          index[position]++
          if (index[position] < lists[position].length) break
          index[position] = 0
          position--
        }
        if (position < 0) break
      }
      return { values, choices }
    })
    if (options.some((entry) => entry.values.length === 0)) return this.vars.map(() => [])
    const earlier = this.items.length - 1
    const newest = options[earlier]
    const kept = options.map((entry) => new Uint8Array(entry.values.length))
    // a state: score (offset by `earlier`), present, ties → one index
    const span = 2 * earlier + 1
    const stateCount = span * (earlier + 1) * (earlier + 1)
    const stateOf = (score: number, present: number, ties: number) =>
      (score + earlier) * (earlier + 1) * (earlier + 1) + present * (earlier + 1) + ties
    const distinctNewest = new Map<number, number[]>()
    newest.values.forEach((value, at) => {
      const key = Number.isNaN(value) ? Number.NaN : value
      const list = distinctNewest.get(key) ?? []
      list.push(at)
      distinctNewest.set(key, list)
    })
    for (const [value, positions] of distinctNewest) {
      if (Number.isNaN(value)) {
        if (this.scoreStep === 0 && Math.abs(this.varianceStep) < 1e-6) {
          for (const at of positions) kept[earlier][at] = 1
          for (let item = 0; item < earlier; item++) kept[item].fill(1)
        }
        continue
      }
      // the class of each earlier option against this value: 0 missing, 1 below, 2 tie, 3 above
      const classes = options
        .slice(0, earlier)
        .map((entry) =>
          entry.values.map((other) =>
            Number.isNaN(other) ? 0 : value > other ? 1 : value === other ? 2 : 3,
          ),
        )
      const step = (state: number, kind: number) => {
        if (kind === 0) return state
        const ties = state % (earlier + 1)
        const present = Math.floor(state / (earlier + 1)) % (earlier + 1)
        const score = Math.floor(state / ((earlier + 1) * (earlier + 1))) - earlier
        return stateOf(
          score + (kind === 1 ? 1 : kind === 3 ? -1 : 0),
          present + 1,
          ties + (kind === 2 ? 1 : 0),
        )
      }
      const forward: Uint8Array[] = [new Uint8Array(stateCount)]
      forward[0][stateOf(0, 0, 0)] = 1
      for (let item = 0; item < earlier; item++) {
        const next = new Uint8Array(stateCount)
        const kinds = new Set(classes[item])
        for (let state = 0; state < stateCount; state++) {
          if (forward[item][state] === 0) continue
          for (const kind of kinds) next[step(state, kind)] = 1
        }
        forward.push(next)
      }
      let completes = new Uint8Array(stateCount)
      for (let state = 0; state < stateCount; state++) {
        if (forward[earlier][state] === 0) continue
        const ties = state % (earlier + 1)
        const present = Math.floor(state / (earlier + 1)) % (earlier + 1)
        const score = Math.floor(state / ((earlier + 1) * (earlier + 1))) - earlier
        if (this.fits(score, present, ties)) completes[state] = 1
      }
      if (!completes.some((flag) => flag === 1)) continue
      for (const at of positions) kept[earlier][at] = 1
      for (let item = earlier - 1; item >= 0; item--) {
        const here = new Uint8Array(stateCount)
        const usable = new Set<number>()
        for (let state = 0; state < stateCount; state++) {
          if (forward[item][state] === 0) continue
          for (const kind of new Set(classes[item])) {
            if (completes[step(state, kind)] === 1) {
              usable.add(kind)
              here[state] = 1
            }
          }
        }
        classes[item].forEach((kind, at) => {
          if (usable.has(kind)) kept[item][at] = 1
        })
        completes = here
      }
    }
    const result: (Domain | undefined)[] = []
    this.items.forEach((item, index) => {
      item.vars.forEach((variable, position) => {
        const domain = domains[variable]
        const keep = new Uint8Array(domain.length)
        kept[index].forEach((flag, at) => {
          if (flag === 1) keep[options[index].choices[at][position]] = 1
        })
        result.push(
          keep.every((flag) => flag === 1) ? undefined : domain.filter((_, at) => keep[at] === 1),
        )
      })
    })
    return result
  }
}

/** An interval an unknown lies in, from one observation (applied as the starting domain). */
interface Bound {
  variable: number
  low: number
  high: number
  reader: string
  label: string
}

export interface SolveOptions {
  /** The true value of each unknown by key (admin reads): every constraint is checked on it. */
  truth?: ReadonlyMap<string, number>
  /** Largest value an unknown without any bound may take. */
  fallbackHigh?: number
  /** Stop propagating after this many milliseconds (the result is still sound, only weaker). */
  timeBudgetMs?: number
}

export interface SolveResult {
  /** Final candidates per unknown key. */
  domains: Map<string, Domain>
  /** The reader whose constraint cut an unknown's candidates to one value, per key. */
  decidedBy: Map<string, string>
  /** Per reader and epoch, the reading (basis) its observations were taken in. */
  readings: Record<string, string>
  /** Constraints (and bounds) the true values violate: a reader misreads its route. */
  inconsistencies: string[]
  constraints: number
  /** Constraints that never got small enough to enumerate. */
  neverEnumerated: number
  propagations: number
  /** Enumeration time per reader's constraints. */
  msByReader: Record<string, number>
  timedOut: boolean
  ms: number
}

/**
 * Unknowns, bounds and constraints, propagated to a fixpoint by {@link DisclosureSolver.solve}.
 * Unknowns are named by string keys; a constraint with the same signature as an earlier one is
 * dropped (two routes showing the same value teach nothing new; the first reader keeps the
 * credit).
 */
export class DisclosureSolver {
  private readonly index = new Map<string, number>()
  private readonly keys: string[] = []
  private readonly bounds: Bound[] = []
  private readonly constraints: Constraint[] = []
  private readonly readings: (string | undefined)[] = []
  private readonly signatures = new Set<string>()

  /** The unknown with this key, created on first use. */
  variable(key: string): number {
    let variable = this.index.get(key)
    if (variable === undefined) {
      variable = this.keys.length
      this.index.set(key, variable)
      this.keys.push(key)
    }
    return variable
  }

  keyOf(variable: number): string {
    return this.keys[variable]
  }

  /** `low ≤ unknown ≤ high`. */
  within(key: string, low: number, high: number, reader: string, label: string): void {
    const signature = `within|${key}|${low}|${high}`
    if (this.signatures.has(signature)) return
    this.signatures.add(signature)
    this.bounds.push({ variable: this.variable(key), low, high, reader, label })
  }

  /**
   * Adds a constraint unless one with the same signature was added before. `reading` names one
   * of several readings of the same observations (`reader|epoch|basis`): of the readings of a
   * reader in an epoch, the one the true values fit is used (see {@link solve}).
   */
  add(constraint: Constraint, signature?: string, reading?: string): void {
    if (signature !== undefined) {
      if (this.signatures.has(signature)) return
      this.signatures.add(signature)
    }
    this.constraints.push(constraint)
    this.readings.push(reading)
  }

  get size(): { unknowns: number; constraints: number; bounds: number } {
    return {
      unknowns: this.keys.length,
      constraints: this.constraints.length,
      bounds: this.bounds.length,
    }
  }

  solve(options: SolveOptions = {}): SolveResult {
    const started = performance.now()
    const fallbackHigh = options.fallbackHigh ?? 5000
    const truthOf = (variable: number) => options.truth?.get(this.keys[variable])
    const inconsistencies: string[] = []
    const describe = (vars: readonly number[]) =>
      vars
        .slice(0, 8)
        .map((variable) => `${this.keys[variable]}=${truthOf(variable) ?? '?'}`)
        .join(', ') + (vars.length > 8 ? ` … (${vars.length} unknowns)` : '')

    // ---- starting domains: the intersection of the bounds the truth satisfies ----
    const lows = new Array<number>(this.keys.length).fill(0)
    const highs = new Array<number>(this.keys.length).fill(fallbackHigh)
    const boundedBy = new Array<string | null>(this.keys.length).fill(null)
    for (const bound of this.bounds) {
      const truth = truthOf(bound.variable)
      if (truth !== undefined && (truth < bound.low || truth > bound.high)) {
        inconsistencies.push(
          `[${bound.reader}] ${bound.label}: ${this.keys[bound.variable]} in [${bound.low}, ${bound.high}] but it is ${truth}`,
        )
        continue
      }
      if (bound.low > lows[bound.variable]) lows[bound.variable] = bound.low
      if (bound.high < highs[bound.variable]) highs[bound.variable] = bound.high
      boundedBy[bound.variable] = bound.reader
    }
    const domains: Domain[] = lows.map((low, variable) => {
      const values: number[] = []
      for (let value = low; value <= highs[variable]; value++) values.push(value)
      return values
    })
    const decidedBy = new Map<string, string>()
    domains.forEach((domain, variable) => {
      if (domain.length === 1) decidedBy.set(this.keys[variable], boundedBy[variable] ?? '?')
    })

    // ---- constraints the truth satisfies; of several readings, the one the truth fits ----
    const holds = this.constraints.map(
      (constraint) =>
        !options.truth ||
        !constraint.vars.every((variable) => truthOf(variable) !== undefined) ||
        constraint.holds((variable) => truthOf(variable)!),
    )
    const misses = new Map<string, Map<string, number>>()
    this.readings.forEach((reading, at) => {
      if (reading === undefined) return
      const cut = reading.lastIndexOf('|')
      const [observations, basis] = [reading.slice(0, cut), reading.slice(cut + 1)]
      const counts = misses.get(observations) ?? new Map<string, number>()
      counts.set(basis, (counts.get(basis) ?? 0) + (holds[at] ? 0 : 1))
      misses.set(observations, counts)
    })
    const chosen = new Map<string, string>()
    for (const [observations, counts] of misses) {
      // fewest misses; on a tie the rounded reading (the weaker claim)
      const ranked = [...counts].sort((a, b) => a[1] - b[1] || (a[0] === 'rounded' ? -1 : 1))
      chosen.set(observations, ranked[0][0])
    }
    const active: Constraint[] = []
    const readOf = new Map<Constraint, string>()
    this.constraints.forEach((constraint, at) => {
      const reading = this.readings[at]
      if (reading !== undefined) readOf.set(constraint, reading.split('|')[1])
      if (reading !== undefined) {
        const cut = reading.lastIndexOf('|')
        if (chosen.get(reading.slice(0, cut)) !== reading.slice(cut + 1)) return
      }
      if (!holds[at]) {
        inconsistencies.push(
          `[${constraint.reader}] ${constraint.label} does not hold for the true values (${describe(constraint.vars)})`,
        )
        return
      }
      active.push(constraint)
    })
    const watchers: number[][] = this.keys.map(() => [])

    // ---- propagation: cheap constraints first (a queue), a large one only when no cheap one
    // waits (a heap by enumeration size: domains only shrink, so a stale entry is replaced by a
    // smaller one whenever an unknown of its constraint changes) ----
    const cheapLimit = 20_000
    const where: number[] = [] // 0 idle, 1 cheap queue, 2 heap
    const version: number[] = []
    const enumerated: boolean[] = []
    const cheap: number[] = []
    const heap: { size: number; at: number; version: number }[] = []
    const heapPush = (entry: { size: number; at: number; version: number }) => {
      heap.push(entry)
      let child = heap.length - 1
      while (child > 0) {
        const parent = (child - 1) >> 1
        if (heap[parent].size <= heap[child].size) break
        ;[heap[parent], heap[child]] = [heap[child], heap[parent]]
        child = parent
      }
    }
    const heapPop = () => {
      const top = heap[0]
      const last = heap.pop()!
      if (heap.length > 0) {
        heap[0] = last
        let parent = 0
        for (;;) {
          const left = 2 * parent + 1
          const right = left + 1
          let smallest = parent
          if (left < heap.length && heap[left].size < heap[smallest].size) smallest = left
          if (right < heap.length && heap[right].size < heap[smallest].size) smallest = right
          if (smallest === parent) break
          ;[heap[parent], heap[smallest]] = [heap[smallest], heap[parent]]
          parent = smallest
        }
      }
      return top
    }
    let largestCap = 0
    const enqueue = (at: number) => {
      if (where[at] === 1) return
      const size = active[at].size(domains)
      version[at]++
      if (size <= cheapLimit) {
        where[at] = 1
        cheap.push(at)
      } else {
        where[at] = 2
        heapPush({ size, at, version: version[at] })
      }
    }
    const activate = (constraint: Constraint) => {
      const at = active.push(constraint) - 1
      where.push(0)
      version.push(0)
      enumerated.push(false)
      largestCap = Math.max(largestCap, constraint.cap)
      for (const variable of constraint.vars) watchers[variable].push(at)
      enqueue(at)
    }
    const initial = active.splice(0)
    for (const constraint of initial) activate(constraint)
    let propagations = 0
    const msByReader: Record<string, number> = {}
    let timedOut = false
    const budget = options.timeBudgetMs ?? Number.POSITIVE_INFINITY
    let cheapHead = 0
    const propagate = () => {
      while (cheapHead < cheap.length || heap.length > 0) {
        if ((propagations & 63) === 0 && performance.now() - started > budget) {
          timedOut = true
          return
        }
        let at: number
        if (cheapHead < cheap.length) {
          at = cheap[cheapHead++]
          if (cheapHead > 100_000) {
            cheap.splice(0, cheapHead)
            cheapHead = 0
          }
        } else {
          const entry = heapPop()
          if (entry.version !== version[entry.at] || where[entry.at] !== 2) continue
          if (entry.size > largestCap) {
            // nothing waiting is small enough: the rest wait for changes that will not come
            where[entry.at] = 0
            for (const rest of heap) where[rest.at] = 0
            heap.length = 0
            continue
          }
          at = entry.at
        }
        where[at] = 0
        const constraint = active[at]
        if (constraint.size(domains) > constraint.cap) continue
        propagations++
        const narrowStarted = performance.now()
        const narrowed = constraint.narrow(domains)
        msByReader[constraint.reader] =
          (msByReader[constraint.reader] ?? 0) + performance.now() - narrowStarted
        if (narrowed === null) continue
        enumerated[at] = true
        narrowed.forEach((domain, position) => {
          if (domain === undefined) return
          const variable = constraint.vars[position]
          if (domain.length === domains[variable].length) return
          if (domain.length === 0) {
            throw new Error(
              `disclosure adversary: no candidate left for ${this.keys[variable]} after [${constraint.reader}] ${constraint.label} (${describe(constraint.vars)}): the constraints contradict each other`,
            )
          }
          domains[variable] = domain
          if (domain.length === 1) decidedBy.set(this.keys[variable], constraint.reader)
          for (const watcher of watchers[variable]) if (watcher !== at) enqueue(watcher)
        })
      }
    }

    // ---- differencing: two sums over nearly the same unknowns give a sum over the few they
    // do not share (two consecutive 4-quarter sums: this quarter minus the one a year before; a
    // district before and after a revision: the old minus the new value). After each fixpoint
    // the sums' current ranges are differenced and propagation resumes, until nothing is new.
    const derived = new Set<string>()
    const differences = () => {
      interface Fact {
        coefficients: Map<number, number>
        transform: LinearForm['transform']
        low: number
        high: number
        reader: string
        /** the read it came from ('before' or 'after' a revision), when known */
        read: string | undefined
      }
      const facts: Fact[] = []
      for (const constraint of active) {
        if (!(constraint instanceof SumRelationConstraint)) continue
        constraint.forms.forEach((form, f) => {
          const range = constraint.ranges[f]
          if (!range || form.vars.length > 48) return
          if (form.vars.every((variable) => domains[variable].length === 1)) return
          const coefficients = new Map<number, number>()
          form.vars.forEach((variable, j) =>
            coefficients.set(variable, form.coefficients?.[j] ?? 1),
          )
          facts.push({
            coefficients,
            transform: form.transform,
            low: range[0],
            high: range[1],
            reader: constraint.reader,
            read: readOf.get(constraint),
          })
        })
      }
      const byVariable = new Map<number, number[]>()
      facts.forEach((fact, index) => {
        for (const variable of [...fact.coefficients.keys()].slice(0, 5)) {
          const list = byVariable.get(variable) ?? []
          list.push(index)
          byVariable.set(variable, list)
        }
      })
      let added = 0
      facts.forEach((first, index) => {
        const partners = new Set<number>()
        for (const variable of first.coefficients.keys()) {
          for (const other of byVariable.get(variable) ?? []) if (other > index) partners.add(other)
        }
        for (const other of partners) {
          const second = facts[other]
          if (second.transform !== first.transform) continue
          if (Math.abs(first.coefficients.size - second.coefficients.size) > 4) continue
          const difference = new Map(first.coefficients)
          for (const [variable, coefficient] of second.coefficients) {
            const left = (difference.get(variable) ?? 0) - coefficient
            if (left === 0) difference.delete(variable)
            else difference.set(variable, left)
          }
          if (difference.size === 0 || difference.size > 4) continue
          if (difference.size >= Math.min(first.coefficients.size, second.coefficients.size))
            continue
          if ([...difference.keys()].every((variable) => domains[variable].length === 1)) continue
          const low = first.low - second.high
          const high = first.high - second.low
          const entries = [...difference].sort((a, b) => a[0] - b[0])
          const signature = `${entries.map(([v, c]) => `${c}*${v}`).join('+')}|${low}|${high}|${first.transform ? 'r' : 'e'}`
          if (derived.has(signature)) continue
          derived.add(signature)
          // a difference across the reads before and after a revision is the revision's work
          const revision =
            first.read !== undefined && second.read !== undefined && first.read !== second.read
          const reader =
            (revision ? 'revision:' : '') +
            (first.reader === second.reader ? first.reader : `${first.reader}+${second.reader}`)
          const constraint = new SumRelationConstraint(
            reader,
            `difference of two sums in [${low}, ${high}]`,
            [
              {
                vars: entries.map(([variable]) => variable),
                coefficients: entries.map(([, coefficient]) => coefficient),
                transform: first.transform,
              },
            ],
            ([sum]) => sum >= low && sum <= high,
          )
          if (options.truth && !constraint.holds((variable) => truthOf(variable) ?? Number.NaN)) {
            const known = constraint.vars.every((variable) => truthOf(variable) !== undefined)
            if (known) throw new Error(`disclosure adversary: unsound difference ${signature}`)
          }
          if (revision) readOf.set(constraint, 'both')
          activate(constraint)
          added++
        }
      })
      return added
    }
    propagate()
    for (let round = 0; round < 12 && !timedOut; round++) {
      if (differences() === 0) break
      propagate()
    }
    return {
      domains: new Map(this.keys.map((key, variable) => [key, domains[variable]])),
      decidedBy,
      readings: Object.fromEntries(chosen),
      inconsistencies,
      constraints: active.length,
      neverEnumerated: enumerated.filter((flag) => !flag).length,
      propagations,
      msByReader: Object.fromEntries(
        Object.entries(msByReader).map(([reader, ms]) => [reader, Math.round(ms)]),
      ),
      timedOut,
      ms: Math.round(performance.now() - started),
    }
  }
}

// =============================================================================================
// What the viewer saw: the model the readers write constraints into
// =============================================================================================

export const countColumns = [
  'early_school_leavers',
  'halt_registrations',
  'parental_debt',
  'drug_offence_suspects',
] as const
export type CountColumn = (typeof countColumns)[number]
type CellColumn = CountColumn | 'youth_population'

const rateFieldOf: Record<CountColumn, string> = {
  early_school_leavers: 'early_school_leaving_rate',
  halt_registrations: 'halt_rate',
  parental_debt: 'parental_debt_rate',
  drug_offence_suspects: 'drug_offence_rate',
}

/** The predictors as the trend routes and the model's terms name them. */
const predictorColumns = {
  early_school_leaving: 'early_school_leavers',
  halt: 'halt_registrations',
  parental_debt: 'parental_debt',
} as const

/** Reads before a revision ('before', also what `as_of` shows afterwards) and after it. */
export type Epoch = 'before' | 'after'

export interface AreaJson {
  area_code: string
  level: 'municipality' | 'district' | 'neighbourhood'
  parent_code: string | null
}

type Nullable = number | null

/** A snapshot as `GET /v1/areas/:code/snapshots` answers it. */
export interface SnapshotJson {
  period: string
  youth_population: Nullable
  early_school_leavers: Nullable
  halt_registrations: Nullable
  parental_debt: Nullable
  drug_offence_suspects: Nullable
  early_school_leaving_rate: Nullable
  halt_rate: Nullable
  parental_debt_rate: Nullable
  drug_offence_rate: Nullable
  batch_id?: string | null
  recorded_at?: string | null
  suppressed?: string[]
}

export interface Thresholds {
  minCell: number
  roundTo: number
}

/** A suppressed cell the adversary tries to recover. */
export interface Target {
  key: string
  epoch: Epoch
  area: string
  period: string
  column: CountColumn
}

/** Number of decimals a shown number is written with (JSON keeps the shortest round trip). */
function decimalsOf(value: number): number {
  const text = String(Math.abs(value))
  const [mantissa, exponent] = text.split('e')
  const decimals = (mantissa.split('.')[1] ?? '').length
  return Math.max(0, decimals - Number(exponent ?? 0))
}

/**
 * How far the exact quantity behind a shown number may be from it: half a unit in its last
 * written decimal (a service that rounds shows fewer decimals), and never less than a relative
 * 1e-9 for floating-point noise (different summation orders).
 */
export function toleranceOf(value: number): number {
  return Math.max(0.5 * 10 ** -decimalsOf(value), 1e-9 * Math.abs(value), 1e-15)
}

const closeTo = (shown: number, candidate: number) =>
  Math.abs(shown - candidate) <= toleranceOf(shown)

const quarterNumber = (period: string) =>
  Number(period.slice(0, 4)) * 4 + Number(period.slice(5)) - 1

/** Mann-Kendall S and var(S) over the present values of `axis` (NaN = missing). */
function mannKendallOf(axis: readonly number[]): { s: number; varS: number } {
  const present = Float64Array.from(axis.filter((value) => !Number.isNaN(value)))
  return { s: mannKendallScore(present), varS: scoreVariance(present) }
}

/** The seasonal test's S and var(S) (period 4, seasons by position from the first quarter). */
function seasonalMannKendallOf(axis: readonly number[]): { s: number; varS: number } {
  let s = 0
  let varS = 0
  for (let season = 0; season < 4; season++) {
    const column: number[] = []
    for (let position = season; position < axis.length; position += 4) column.push(axis[position])
    const stats = mannKendallOf(column)
    s += stats.s
    varS += stats.varS
  }
  return { s, varS }
}

interface TrendTestJson {
  s: number
  var_s: number
}

/**
 * How a route computes what it shows: from the exact stored values, or from the rounded table
 * (every count and population rounded first, the fix of issue 14). The adversary knows the
 * algorithm (Kerckhoffs): each reader writes its observations in both readings, and the solver
 * keeps, per reader and epoch, the reading the stored values fit.
 */
export type Basis = 'exact' | 'rounded'

/**
 * The adversary's knowledge: which cells exist (from the viewer's snapshot reads), which rows a
 * revision replaced (their batch changed), the unknowns in the solver, and helpers that turn a
 * shown value into a constraint with the disclosure rules' semantics:
 * - a count shown for one cell is a multiple of roundTo (then the true count lies in its rounding
 *   class and is at least minCell) or, if not, the exact count; a population likewise, without
 *   the minCell bound;
 * - a sum shown is, read exactly, the rounded sum; read on the rounded table, the sum of the
 *   rounded cells;
 * - a rate (or any value computed from counts) shown is exact at the precision it is written
 *   with, of the exact or the rounded values, unless it equals what the shown (rounded) counts
 *   give: then it teaches nothing.
 */
export class AttackModel {
  readonly targets = new Map<string, Target>()
  readonly diagnostics = new Map<string, number>()
  /** Runs whose scores were already observed (scores belong to the state at the run). */
  readonly observedRuns = new Set<string>()
  /**
   * A lower enumeration cap for the sums a reader is adding (a municipality's sums over every
   * neighbourhood are worth enumerating only once most of their cells are known).
   */
  sumCap: number | undefined
  /** The reading the readers are writing constraints in. */
  basis: Basis = 'exact'
  /** The epoch whose answers are being read. */
  observing: Epoch = 'before'
  private readonly rounded: (value: number) => number
  private readonly byCode: Map<string, AreaJson>
  private readonly periodIndex = new Map<Epoch, Map<string, string[]>>()

  constructor(
    readonly solver: DisclosureSolver,
    readonly thresholds: Thresholds,
    readonly areas: readonly AreaJson[],
    /** The viewer's snapshot rows per epoch, by `area|period`. */
    readonly shown: ReadonlyMap<Epoch, ReadonlyMap<string, SnapshotJson>>,
    /** Rows replaced by a revision (`area|period`), or 'all' when revisions cannot be told. */
    readonly revised: ReadonlySet<string> | 'all',
  ) {
    this.byCode = new Map(areas.map((area) => [area.area_code, area]))
    const step = thresholds.roundTo
    this.rounded = (value) => (step <= 1 ? value : Math.floor(value / step + 0.5) * step)
  }

  /** What a stored value contributes to a shown number in the current reading (fixed now). */
  get view(): (value: number) => number {
    return this.basis === 'exact' ? (value) => value : this.rounded
  }

  /** The same as a form's transform (none when exact: forms of one reading can be differenced). */
  get transform(): ((value: number) => number) | undefined {
    return this.basis === 'exact' ? undefined : this.rounded
  }

  /** Adds a constraint that holds in the current reading only. */
  observe(constraint: Constraint, signature: string): void {
    this.solver.add(
      constraint,
      `${this.basis}|${signature}`,
      `${constraint.reader}|${this.observing}|${this.basis}`,
    )
  }

  /** Notes a diagnostic the first time it is seen (the same run read in both states). */
  noteOnce(diagnostic: string): void {
    if (!this.diagnostics.has(diagnostic)) this.note(diagnostic)
  }

  note(diagnostic: string): void {
    if (this.basis !== 'exact') return // each observation is read twice
    this.diagnostics.set(diagnostic, (this.diagnostics.get(diagnostic) ?? 0) + 1)
  }

  area(code: string): AreaJson | undefined {
    return this.byCode.get(code)
  }

  row(epoch: Epoch, area: string, period: string): SnapshotJson | undefined {
    return this.shown.get(epoch)?.get(`${area}|${period}`)
  }

  /** Quarters with a row of `area` in the epoch, ascending. */
  periodsOf(epoch: Epoch, area: string): string[] {
    let byArea = this.periodIndex.get(epoch)
    if (!byArea) {
      byArea = new Map()
      for (const [key] of this.shown.get(epoch) ?? []) {
        const [code, period] = key.split('|')
        byArea.set(code, [...(byArea.get(code) ?? []), period])
      }
      for (const periods of byArea.values()) periods.sort()
      this.periodIndex.set(epoch, byArea)
    }
    return byArea.get(area) ?? []
  }

  /** The neighbourhoods an aggregate is the sum of: its own, with at least one row. */
  membersOf(epoch: Epoch, code: string): string[] {
    const area = this.byCode.get(code)
    if (!area) return []
    if (area.level === 'neighbourhood') return [code]
    return this.areas
      .filter(
        (member) =>
          member.level === 'neighbourhood' &&
          (area.level === 'municipality' || member.parent_code === code) &&
          this.periodsOf(epoch, member.area_code).length > 0,
      )
      .map((member) => member.area_code)
  }

  keyOf(epoch: Epoch, area: string, period: string, column: CellColumn): string {
    const state = this.revised === 'all' || this.revised.has(`${area}|${period}`) ? epoch : 'same'
    return `${state}|${area}|${period}|${column}`
  }

  /** The unknown of a cell, or null when the viewer saw no such cell (no row, or a source NULL). */
  cell(epoch: Epoch, area: string, period: string, column: CellColumn): number | null {
    const row = this.row(epoch, area, period)
    if (!row) return null
    const value = row[column]
    if (value === null && !(row.suppressed ?? []).includes(column)) return null
    return this.solver.variable(this.keyOf(epoch, area, period, column))
  }

  /** The cells of a column summed over areas and quarters, or null when one is missing. */
  cells(
    epoch: Epoch,
    areas: readonly string[],
    periods: readonly string[],
    column: CellColumn,
  ): number[] | null {
    const vars: number[] = []
    for (const area of areas) {
      for (const period of periods) {
        const variable = this.cell(epoch, area, period, column)
        if (variable === null) return null
        vars.push(variable)
      }
    }
    return vars.length > 0 ? vars : null
  }

  /**
   * The integers a shown count or population stands for, or null when it says nothing. A shown
   * count of a cell is at least minCell (else it would be suppressed); a shown sum of rounded
   * members (`sum`) is not: the rule looks at the rounded sum, so one member of 8 shows as 10.
   */
  classOf(
    shown: Nullable | undefined,
    kind: 'count' | 'population',
    sum = false,
  ): [number, number] | null {
    if (shown === null || shown === undefined || !Number.isInteger(shown)) return null
    const { roundTo, minCell } = this.thresholds
    if (roundTo > 1 && shown % roundTo !== 0) {
      this.note(`${kind} shown unrounded`)
      return [shown, shown]
    }
    let low = Math.max(0, Math.ceil(shown - roundTo / 2))
    const high = Math.ceil(shown + roundTo / 2) - 1
    if (kind === 'count' && !sum) low = Math.max(low, minCell)
    return [low, Math.max(low, high)]
  }

  /** Σ vars lies in the class of a shown count (or population). */
  shownSum(
    reader: string,
    label: string,
    vars: readonly number[] | null,
    shown: Nullable | undefined,
    kind: 'count' | 'population' = 'count',
    /** the shown value sums rounded members (a district's series), not one shown cell */
    sum = false,
  ): void {
    if (!vars) return
    if (
      kind === 'count' &&
      typeof shown === 'number' &&
      shown > 0 &&
      shown < this.thresholds.minCell
    )
      this.note(`count below ${this.thresholds.minCell} shown (${reader})`)
    const range = this.classOf(shown, kind, sum)
    if (!range) return
    const [low, high] = range
    if (vars.length === 1) {
      this.solver.within(this.solver.keyOf(vars[0]), low, high, reader, label)
      return
    }
    const exact = this.basis === 'exact'
    this.observe(
      new SumRelationConstraint(
        reader,
        `${label} = ${shown}`,
        [{ vars, transform: this.transform }],
        // exact: the sum rounded; rounded table: the sum of the rounded cells
        ([sum]) => (exact ? sum >= low && sum <= high : sum === shown),
        this.sumCap,
      ),
      `sum|${vars.join(',')}|${shown}`,
    )
  }

  /**
   * Σ counts / Σ populations equals a shown rate, unless the rate is what the shown rounded
   * values give (`roundedView`), which teaches nothing beyond them. Answers whether the rate was
   * taken at full precision (the ratio is then known exactly).
   */
  shownRatio(
    reader: string,
    label: string,
    counts: readonly number[] | null,
    populations: readonly number[] | null,
    shown: Nullable | undefined,
    roundedView: number | null,
  ): boolean {
    if (!counts || !populations || shown === null || shown === undefined) return false
    if (roundedView !== null && Number.isFinite(roundedView) && closeTo(shown, roundedView))
      return false
    const tolerance = toleranceOf(shown)
    const fullPrecision = tolerance <= 1e-9 * Math.abs(shown) + 1e-15
    const fits = (count: number, population: number) =>
      population > 0 && Math.abs(count / population - shown) <= tolerance
    const view = this.view
    if (counts.length === 1 && populations.length === 1) {
      this.observe(
        new TupleConstraint(reader, `${label} = ${shown}`, [counts[0], populations[0]], (v) =>
          fits(view(v[0]), view(v[1])),
        ),
        `ratio|${counts[0]}|${populations[0]}|${shown}`,
      )
      return fullPrecision
    }
    this.observe(
      new SumRelationConstraint(
        reader,
        `${label} = ${shown}`,
        [
          { vars: counts, transform: this.transform },
          { vars: populations, transform: this.transform },
        ],
        ([count, population]) => fits(count, population),
        this.sumCap,
      ),
      `ratio|${counts.join(',')}|${populations.join(',')}|${shown}`,
    )
    return fullPrecision
  }

  /** A relation over the sums of a few groups of unknowns (changes, tests of two windows). */
  relation(
    reader: string,
    label: string,
    forms: readonly (readonly number[] | null)[],
    relation: (sums: readonly number[]) => boolean,
    signature: string,
    cap?: number,
  ): void {
    if (forms.some((form) => form === null)) return
    const groups = forms as readonly (readonly number[])[]
    this.observe(
      new SumRelationConstraint(
        reader,
        label,
        groups.map((vars) => ({ vars, transform: this.transform })),
        relation,
        cap === undefined || this.sumCap === undefined
          ? (cap ?? this.sumCap)
          : Math.min(cap, this.sumCap),
      ),
      `${signature}|${groups.map((vars) => vars.join(',')).join('/')}`,
    )
  }

  /** The rate the shown (rounded) count and population of a snapshot row give, if shown. */
  roundedRate(epoch: Epoch, area: string, period: string, column: CountColumn): number | null {
    const row = this.row(epoch, area, period)
    if (!row || row[column] === null || !row.youth_population) return null
    return (row[column] as number) / row.youth_population
  }

  /**
   * Mann-Kendall S and var(S) shown for an area's quarterly outcome rate over `periods`
   * (consecutive or not; a quarter without a row is missing): a tuple constraint over the cells,
   * enumerated only once few of them are undetermined.
   */
  mannKendall(
    reader: string,
    label: string,
    epoch: Epoch,
    area: string,
    periods: readonly string[],
    original: TrendTestJson | null | undefined,
    seasonal: TrendTestJson | null | undefined,
    cap = 20_000,
  ): void {
    if (!original && !seasonal) return
    if (periods.length === 0) return
    const first = quarterNumber(periods[0])
    const length = quarterNumber(periods[periods.length - 1]) - first + 1
    const slots: { position: number; count: number; population: number }[] = []
    for (const period of periods) {
      const count = this.cell(epoch, area, period, 'drug_offence_suspects')
      const population = this.cell(epoch, area, period, 'youth_population')
      if (count === null || population === null) continue
      slots.push({ position: quarterNumber(period) - first, count, population })
    }
    const vars = slots.flatMap((slot) => [slot.count, slot.population])
    const view = this.view
    const predicate = (values: readonly number[]) => {
      const axis = new Array<number>(length).fill(Number.NaN)
      slots.forEach((slot, at) => {
        const population = view(values[2 * at + 1])
        axis[slot.position] = population > 0 ? view(values[2 * at]) / population : Number.NaN
      })
      if (original) {
        const stats = mannKendallOf(axis)
        if (stats.s !== original.s || Math.abs(stats.varS - original.var_s) > 1e-6) return false
      }
      if (seasonal) {
        const stats = seasonalMannKendallOf(axis)
        if (stats.s !== seasonal.s || Math.abs(stats.varS - seasonal.var_s) > 1e-6) return false
      }
      return true
    }
    this.observe(
      new TupleConstraint(
        reader,
        `${label} S=${original?.s ?? '-'}/${seasonal?.s ?? '-'}`,
        vars,
        predicate,
        cap,
      ),
      `mk|${vars.join(',')}|${original?.s}|${original?.var_s}|${seasonal?.s}|${seasonal?.var_s}`,
    )
  }
}

// =============================================================================================
// Route readers
// =============================================================================================

export interface AdversaryOptions {
  /** The municipality the viewer key is scoped to. */
  municipality: string
  thresholds: Thresholds
  /** At most this many windowed trend reads (`?from=&to=`) per epoch. */
  windowBudget: number
  /** Effects of every outcome (not only the default drug_offence_suspects). */
  allOutcomes: boolean
}

/** What a reader's fetch gets: viewer reads and what earlier readers fetched in the same epoch. */
export interface ReaderContext {
  epoch: Epoch
  /** An ISO time before the revision, for `as_of` reads of the old state. */
  asOf?: string
  options: AdversaryOptions
  areas: readonly AreaJson[]
  /** A viewer GET; the parsed answer, or null for a 4xx. */
  get<Answer>(url: string): Promise<Answer | null>
  /** This epoch's answers of an earlier reader. */
  fetched<Raw>(reader: string): Raw | undefined
}

/**
 * One route family: `fetch` reads what a viewer can read; `observe` turns it into constraints.
 * Readers are independent: a new route is one more reader.
 */
export interface Reader<Raw = unknown> {
  name: string
  fetch(context: ReaderContext): Promise<Raw>
  /** `context.before`: the same reader's answers before the revision, when read then. */
  observe(
    model: AttackModel,
    epoch: Epoch,
    raw: Raw,
    context: { asOf?: string; before?: Raw },
  ): void
}

const listAll = '&limit=10000'

// ---------------------------------------------------------------------------- snapshots

interface SnapshotsRaw {
  current: Record<string, SnapshotJson[]>
  /** The same areas `as_of` the time before the revision (the old state). */
  asOf?: Record<string, SnapshotJson[]>
}

async function readSnapshots(
  context: ReaderContext,
  asOf?: string,
): Promise<Record<string, SnapshotJson[]>> {
  const rows: Record<string, SnapshotJson[]> = {}
  for (const area of context.areas) {
    const query = asOf ? `&as_of=${encodeURIComponent(asOf)}` : ''
    const answer = await context.get<{ items: SnapshotJson[] }>(
      `/v1/areas/${area.area_code}/snapshots?limit=10000${query}`,
    )
    if (answer && answer.items.length > 0) rows[area.area_code] = answer.items
  }
  return rows
}

/**
 * `GET /v1/areas/:code/snapshots`, current and `as_of`: each count in its rounding class or,
 * suppressed, below minCell or (secondary) at most the district's smallest shown value; the
 * population in its class; a rate shown against its count and population; count ≤ population.
 * The secondary-suppression rule itself is knowledge: with three or more suppressed in a
 * district, quarter and column, all are below minCell; with two, at least one is.
 */
export const snapshotsReader: Reader<SnapshotsRaw> = {
  name: 'snapshots',
  async fetch(context) {
    return {
      current: await readSnapshots(context),
      ...(context.asOf ? { asOf: await readSnapshots(context, context.asOf) } : {}),
    }
  },
  observe(model, epoch, raw) {
    observeSnapshotRows(model, epoch, raw.current, 'snapshots')
    if (raw.asOf) observeSnapshotRows(model, 'before', raw.asOf, 'snapshots:as_of')
  },
}

function observeSnapshotRows(
  model: AttackModel,
  epoch: Epoch,
  rowsByArea: Record<string, SnapshotJson[]>,
  reader: string,
): void {
  const { minCell } = model.thresholds
  const solver = model.solver
  // district, period, column → the neighbourhoods' cells as shown
  const groups = new Map<
    string,
    { area: string; variable: number; high: number; suppressed: boolean }[]
  >()
  for (const [area, rows] of Object.entries(rowsByArea)) {
    const parent = model.area(area)?.parent_code ?? null
    for (const row of rows) {
      const population = model.cell(epoch, area, row.period, 'youth_population')
      const where = `${area} ${row.period}`
      if (population !== null) {
        model.shownSum(
          reader,
          `${where} youth_population`,
          [population],
          row.youth_population,
          'population',
        )
      }
      for (const column of countColumns) {
        const count = model.cell(epoch, area, row.period, column)
        if (count === null) continue
        const suppressed = (row.suppressed ?? []).includes(column)
        if (suppressed) {
          model.targets.set(solver.keyOf(count), {
            key: solver.keyOf(count),
            epoch,
            area,
            period: row.period,
            column,
          })
        } else {
          model.shownSum(reader, `${where} ${column}`, [count], row[column])
          model.shownRatio(
            reader,
            `${where} ${rateFieldOf[column]}`,
            [count],
            population === null ? null : [population],
            row[rateFieldOf[column] as keyof SnapshotJson] as Nullable,
            model.roundedRate(epoch, area, row.period, column),
          )
        }
        if (population !== null) {
          solver.add(
            new TupleConstraint(
              reader,
              `${where} ${column} ≤ youth_population`,
              [count, population],
              (v) => v[0] <= v[1],
            ),
            `le|${count}|${population}`,
          )
        }
        const high = suppressed
          ? Number.POSITIVE_INFINITY
          : (model.classOf(row[column], 'count')?.[1] ?? Number.POSITIVE_INFINITY)
        const key = `${parent ?? area}|${row.period}|${column}`
        const members = groups.get(key) ?? []
        members.push({ area, variable: count, high, suppressed })
        groups.set(key, members)
      }
    }
  }
  for (const [key, members] of groups) {
    const hidden = members.filter((member) => member.suppressed)
    if (hidden.length === 0) continue
    const shownMembers = members.filter((member) => !member.suppressed)
    const label = `secondary suppression rule, ${key}`
    if (hidden.length !== 2) {
      // one alone (nothing left to pair it with) or three and more: all primary
      for (const member of hidden) {
        solver.within(solver.keyOf(member.variable), 0, minCell - 1, reader, `${label}: primary`)
      }
      continue
    }
    const smallestShown = Math.min(...shownMembers.map((member) => member.high))
    for (const member of hidden) {
      if (Number.isFinite(smallestShown)) {
        solver.within(
          solver.keyOf(member.variable),
          0,
          Math.max(minCell - 1, smallestShown),
          reader,
          `${label}: primary or the next smallest`,
        )
      }
    }
    const [first, second] = hidden
    solver.add(
      new TupleConstraint(
        reader,
        `${label}: one of two is primary`,
        [first.variable, second.variable],
        (v) => v[0] < minCell || v[1] < minCell,
      ),
      `secondary-pair|${first.variable}|${second.variable}`,
    )
    // a secondary cell is at most every shown cell of its group (ties: the lower code)
    for (const member of hidden) {
      for (const other of shownMembers) {
        const lowerCode = member.area < other.area
        solver.add(
          new TupleConstraint(
            reader,
            `${label}: secondary ≤ ${other.area}`,
            [member.variable, other.variable],
            (v) => v[0] < minCell || v[0] < v[1] || (v[0] === v[1] && lowerCode),
          ),
          `secondary-le|${member.variable}|${other.variable}`,
        )
      }
    }
  }
}

// ---------------------------------------------------------------------------- trend

interface PredictorJson {
  rate: Nullable
  rate_prev_year: Nullable
  change: Nullable
  p_value: Nullable
  count: Nullable
  count_prev_year: Nullable
}

interface YearOverYearJson {
  period: string
  rate: Nullable
  rate_prev_year: Nullable
  change: Nullable
  relative_change: Nullable
  p_value: Nullable
  count: Nullable
  count_prev_year: Nullable
  youth_population: Nullable
  youth_population_prev_year: Nullable
  predictors?: Record<string, PredictorJson>
}

interface SeriesJson {
  period: string
  youth_population: Nullable
  early_school_leavers: Nullable
  halt_registrations: Nullable
  parental_debt: Nullable
  drug_offence_suspects: Nullable
  early_school_leaving_rate: Nullable
  halt_rate: Nullable
  parental_debt_rate: Nullable
  drug_offence_rate: Nullable
}

interface AreaTrendJson {
  area_code: string
  aggregated: boolean
  series: SeriesJson[]
  year_over_year: YearOverYearJson[]
  mann_kendall: TrendTestJson | null
  seasonal_mann_kendall: TrendTestJson | null
}

/** The year-over-year p-value (exact Poisson rate test), remembered: enumerations repeat. */
const pValues = new Map<string, number>()
function poissonPValue(count: number, countBefore: number, people: number, peopleBefore: number) {
  const key = `${count},${countBefore},${people},${peopleBefore}`
  let value = pValues.get(key)
  if (value === undefined) {
    value = poissonRateTest([count, countBefore], [people, peopleBefore]).p_value
    if (pValues.size > 1_000_000) pValues.clear()
    pValues.set(key, value)
  }
  return value
}

const windowOf = (period: string, yearsBack: number) =>
  [0, 1, 2, 3].map((back) => shiftPeriod(period, -(back + 4 * yearsBack))).reverse()

/**
 * One year-over-year entry (4-quarter sums ending at `period` and a year earlier), for the
 * outcome or a predictor, over `members` (one neighbourhood, or an aggregate's neighbourhoods):
 * the sums in their classes, the rates, the change, relative change and exact Poisson p-value.
 */
function observeYearOverYear(
  model: AttackModel,
  epoch: Epoch,
  reader: string,
  label: string,
  members: readonly string[],
  period: string,
  column: CountColumn,
  values: {
    count: Nullable
    count_prev_year: Nullable
    rate: Nullable
    rate_prev_year: Nullable
    change: Nullable
    relative_change?: Nullable
    p_value: Nullable
  },
  populations: { youth_population: Nullable; youth_population_prev_year: Nullable },
): void {
  const current = windowOf(period, 0)
  const previous = windowOf(period, 1)
  const counts = model.cells(epoch, members, current, column)
  const countsBefore = model.cells(epoch, members, previous, column)
  const people = model.cells(epoch, members, current, 'youth_population')
  const peopleBefore = model.cells(epoch, members, previous, 'youth_population')
  const where = `${label} ${period} 4-quarter ${column}`
  model.shownSum(reader, `${where} count`, counts, values.count)
  model.shownSum(reader, `${where} count_prev_year`, countsBefore, values.count_prev_year)
  model.shownSum(
    reader,
    `${label} ${period} 4-quarter youth_population`,
    people,
    populations.youth_population,
    'population',
  )
  model.shownSum(
    reader,
    `${label} ${period} 4-quarter youth_population_prev_year`,
    peopleBefore,
    populations.youth_population_prev_year,
    'population',
  )
  const rounded = (count: Nullable, population: Nullable) =>
    count !== null && population ? count / population : null
  const roundedRate = rounded(values.count, populations.youth_population)
  const roundedBefore = rounded(values.count_prev_year, populations.youth_population_prev_year)
  const rateExact = model.shownRatio(
    reader,
    `${where} rate`,
    counts,
    people,
    values.rate,
    roundedRate,
  )
  const rateBeforeExact = model.shownRatio(
    reader,
    `${where} rate_prev_year`,
    countsBefore,
    peopleBefore,
    values.rate_prev_year,
    roundedBefore,
  )
  // with both rates exact, the change, relative change and p-value teach nothing more
  if (rateExact && rateBeforeExact) return
  const forms = [counts, people, countsBefore, peopleBefore]
  const roundedChange =
    roundedRate !== null && roundedBefore !== null ? roundedRate - roundedBefore : null
  const change = values.change
  if (change !== null && !(roundedChange !== null && closeTo(change, roundedChange))) {
    const tolerance = toleranceOf(change) + 1e-12
    model.relation(
      reader,
      `${where} change = ${change}`,
      forms,
      ([c1, n1, c0, n0]) => n1 > 0 && n0 > 0 && Math.abs(c1 / n1 - c0 / n0 - change) <= tolerance,
      `change|${change}`,
      20_000,
    )
  }
  const relative = values.relative_change
  if (
    relative !== null &&
    relative !== undefined &&
    !(roundedChange !== null && roundedBefore && closeTo(relative, roundedChange / roundedBefore))
  ) {
    const tolerance = toleranceOf(relative) + 1e-12
    model.relation(
      reader,
      `${where} relative_change = ${relative}`,
      forms,
      ([c1, n1, c0, n0]) =>
        n1 > 0 &&
        n0 > 0 &&
        c0 > 0 &&
        Math.abs((c1 / n1 - c0 / n0) / (c0 / n0) - relative) <= tolerance,
      `relative|${relative}`,
      20_000,
    )
  }
  const pValue = values.p_value
  if (pValue !== null) {
    const roundedP =
      values.count !== null &&
      values.count_prev_year !== null &&
      populations.youth_population &&
      populations.youth_population_prev_year
        ? poissonRateTest(
            [values.count, values.count_prev_year],
            [populations.youth_population, populations.youth_population_prev_year],
          ).p_value
        : null
    if (!(roundedP !== null && closeTo(pValue, roundedP))) {
      const tolerance = toleranceOf(pValue) + 1e-12
      model.relation(
        reader,
        `${where} p_value = ${pValue}`,
        forms,
        ([c1, n1, c0, n0]) =>
          n1 > 0 && n0 > 0 && Math.abs(poissonPValue(c1, c0, n1, n0) - pValue) <= tolerance,
        `p|${pValue}`,
        5_000,
      )
    }
  }
}

/**
 * `GET /v1/areas/:code/trend` for every area in scope. Neighbourhoods: the series (as the
 * snapshots), the year-over-year 4-quarter sums and rates (finding 2: differencing along time),
 * Mann-Kendall S and var(S) (order). Districts and the municipality without rows of their own:
 * the same over the sum of their neighbourhoods (hierarchy).
 */
export const trendReader: Reader<Record<string, AreaTrendJson>> = {
  name: 'trend',
  async fetch(context) {
    const trends: Record<string, AreaTrendJson> = {}
    for (const area of context.areas) {
      const answer = await context.get<AreaTrendJson>(`/v1/areas/${area.area_code}/trend`)
      if (answer) trends[area.area_code] = answer
    }
    return trends
  },
  observe(model, epoch, raw) {
    for (const [code, trend] of Object.entries(raw)) {
      const aggregate = trend.aggregated
      const members = aggregate ? model.membersOf(epoch, code) : [code]
      if (members.length === 0) continue
      const reader = aggregate ? 'trend:hierarchy' : 'trend:year-over-year'
      model.sumCap = model.area(code)?.level === 'municipality' ? 5_000 : undefined
      for (const entry of trend.series) {
        const people = model.cells(epoch, members, [entry.period], 'youth_population')
        model.shownSum(
          reader,
          `${code} ${entry.period} youth_population`,
          people,
          entry.youth_population,
          'population',
        )
        for (const column of countColumns) {
          const counts = model.cells(epoch, members, [entry.period], column)
          const where = `${code} ${entry.period} ${column}`
          model.shownSum(
            aggregate ? reader : 'trend:series',
            where,
            counts,
            entry[column],
            'count',
            aggregate,
          )
          const shownCount = entry[column]
          model.shownRatio(
            aggregate ? reader : 'trend:series',
            `${where} rate`,
            counts,
            people,
            entry[rateFieldOf[column] as keyof SeriesJson] as Nullable,
            shownCount !== null && entry.youth_population
              ? shownCount / entry.youth_population
              : null,
          )
        }
      }
      for (const entry of trend.year_over_year) {
        observeYearOverYear(
          model,
          epoch,
          reader,
          code,
          members,
          entry.period,
          'drug_offence_suspects',
          entry,
          entry,
        )
        for (const [name, column] of Object.entries(predictorColumns)) {
          const values = entry.predictors?.[name]
          if (values)
            observeYearOverYear(
              model,
              epoch,
              reader,
              code,
              members,
              entry.period,
              column,
              values,
              entry,
            )
        }
      }
      model.sumCap = undefined
      if (!aggregate) {
        model.mannKendall(
          'trend:order',
          `${code} Mann-Kendall`,
          epoch,
          code,
          trend.series.map((entry) => entry.period),
          trend.mann_kendall,
          trend.seasonal_mann_kendall,
        )
      }
    }
  },
}

// ---------------------------------------------------------------------------- trends list

interface TrendListItemJson extends YearOverYearJson {
  area_code: string
  mann_kendall: TrendTestJson | null
}

/**
 * `GET /v1/trends?period=P` for every quarter: the same 4-quarter entries per neighbourhood,
 * and the seasonal Mann-Kendall test on the series up to P. Successive P differ by one quarter,
 * so S(P) − S(P−1) is the number of earlier same-season rates below the new one minus those
 * above, and var(S) tells its ties.
 */
export const trendListReader: Reader<Record<string, TrendListItemJson[]>> = {
  name: 'trends',
  async fetch(context) {
    const snapshots = context.fetched<SnapshotsRaw>('snapshots')
    const periods = new Set<string>()
    for (const rows of Object.values(snapshots?.current ?? {})) {
      for (const row of rows) periods.add(row.period)
    }
    const lists: Record<string, TrendListItemJson[]> = {}
    for (const period of [...periods].sort()) {
      const answer = await context.get<{ items: TrendListItemJson[] }>(
        `/v1/trends?municipality=${context.options.municipality}&period=${period}${listAll}`,
      )
      if (answer) lists[period] = answer.items
    }
    return lists
  },
  observe(model, epoch, raw) {
    for (const [period, items] of Object.entries(raw)) {
      const previousItems = raw[shiftPeriod(period, -1)]
      for (const item of items) {
        if (!model.area(item.area_code)) continue
        observeYearOverYear(
          model,
          epoch,
          'trends:year-over-year',
          item.area_code,
          [item.area_code],
          period,
          'drug_offence_suspects',
          item,
          item,
        )
        const before = previousItems?.find((other) => other.area_code === item.area_code)
        if (!item.mann_kendall || !previousItems) continue
        const change = {
          s: item.mann_kendall.s - (before?.mann_kendall?.s ?? 0),
          varS: item.mann_kendall.var_s - (before?.mann_kendall?.var_s ?? 0),
        }
        observeSeasonalIncrement(model, epoch, item.area_code, period, change)
      }
    }
  },
}

/** The change of the seasonal S and var(S) when quarter `period` joins its season's column. */
function observeSeasonalIncrement(
  model: AttackModel,
  epoch: Epoch,
  area: string,
  period: string,
  change: { s: number; varS: number },
): void {
  const periods = model.periodsOf(epoch, area)
  if (periods.length === 0 || !periods.includes(period)) return
  const first = quarterNumber(periods[0])
  const season = (quarterNumber(period) - first) % 4
  const column = periods.filter(
    (other) => other <= period && (quarterNumber(other) - first) % 4 === season,
  )
  const view = model.view
  const items: RealTerm[] = []
  for (const other of column) {
    const count = model.cell(epoch, area, other, 'drug_offence_suspects')
    const population = model.cell(epoch, area, other, 'youth_population')
    if (count === null || population === null) {
      if (other === period) return
      continue
    }
    items.push({
      vars: [count, population],
      value: ([c, n]) => (view(n) > 0 ? view(c) / view(n) : Number.NaN),
    })
  }
  model.observe(
    new RankStepConstraint(
      'trends:order',
      `${area} seasonal Mann-Kendall up to ${period} ΔS=${change.s}`,
      items,
      change.s,
      change.varS,
    ),
    `mk-step|${items.flatMap((item) => item.vars).join(',')}|${change.s}|${change.varS}`,
  )
}

// ---------------------------------------------------------------------------- trend windows

interface WindowRaw {
  area: string
  from: string
  to: string
  mann_kendall: TrendTestJson | null
  seasonal_mann_kendall: TrendTestJson | null
}

/**
 * `GET /v1/areas/:code/trend?from=&to=` on short windows around suppressed outcome cells: the
 * Mann-Kendall S of two quarters is the sign of their difference, of five quarters (seasonal)
 * the sign against the same quarter a year earlier; var(S) tells ties. Windows whose other
 * quarters are shown go first; at most `windowBudget` reads.
 */
export const trendWindowReader: Reader<WindowRaw[]> = {
  name: 'trend-windows',
  async fetch(context) {
    const snapshots = context.fetched<SnapshotsRaw>('snapshots')
    const budget = context.options.windowBudget
    if (!snapshots || budget <= 0) return []
    const candidates = new Map<string, { area: string; from: string; to: string; shown: number }>()
    for (const [area, rows] of Object.entries(snapshots.current)) {
      if (areaLevelOf(context, area) !== 'neighbourhood') continue
      const byPeriod = new Map(rows.map((row) => [row.period, row]))
      const isShown = (period: string) => {
        const row = byPeriod.get(period)
        return row !== undefined && row.drug_offence_suspects !== null ? 1 : 0
      }
      for (const row of rows) {
        if (!(row.suppressed ?? []).includes('drug_offence_suspects')) continue
        for (const [from, to] of [
          [shiftPeriod(row.period, -1), row.period],
          [row.period, shiftPeriod(row.period, 1)],
          [shiftPeriod(row.period, -4), row.period],
          [row.period, shiftPeriod(row.period, 4)],
        ]) {
          if (!byPeriod.has(from) || !byPeriod.has(to)) continue
          const key = `${area}|${from}|${to}`
          if (!candidates.has(key))
            candidates.set(key, { area, from, to, shown: isShown(from) + isShown(to) })
        }
      }
    }
    const chosen = [...candidates.values()]
      .sort((a, b) => b.shown - a.shown || (a.area + a.from < b.area + b.from ? -1 : 1))
      .slice(0, budget)
    const windows: WindowRaw[] = []
    for (const window of chosen) {
      const answer = await context.get<AreaTrendJson>(
        `/v1/areas/${window.area}/trend?from=${window.from}&to=${window.to}`,
      )
      if (answer) {
        windows.push({
          ...window,
          mann_kendall: answer.mann_kendall,
          seasonal_mann_kendall: answer.seasonal_mann_kendall,
        })
      }
    }
    return windows
  },
  observe(model, epoch, raw) {
    for (const window of raw) {
      const periods: string[] = []
      for (let period = window.from; period <= window.to; period = shiftPeriod(period, 1)) {
        periods.push(period)
      }
      model.mannKendall(
        'trend-windows:order',
        `${window.area} ${window.from}–${window.to} Mann-Kendall`,
        epoch,
        window.area,
        periods,
        window.mann_kendall,
        periods.length >= 5 ? window.seasonal_mann_kendall : null,
        200_000,
      )
    }
  },
}

function areaLevelOf(context: ReaderContext, code: string) {
  return context.areas.find((area) => area.area_code === code)?.level
}

// ---------------------------------------------------------------------------- risk

interface RiskItemJson {
  area_code: string
  period: string
  target_period: string
  youth_population: Nullable
  risk: Nullable
  expected: Nullable
  observed: Nullable
  standardized_ratio: Nullable
}

interface RunJson {
  id: string
  status: string
  horizon_quarters: number
  coefficients: { term: string; estimate: number }[] | null
  quality: { calibration: { decile: number; observed: number; expected: number }[] } | null
}

interface RiskRaw {
  runs: RunJson[]
  /** per run id: its scores per period */
  scores: Record<string, Record<string, RiskItemJson[]>>
}

/**
 * `GET /v1/risk` for every horizon with a run and every quarter, with the run's coefficients
 * (`GET /v1/risk-model/runs/:id`): a shown risk is expit(b0 + b1·e/n + b2·h/n + b3·d/n) of the
 * predictor quarter's cells; expected = n·risk gives the target quarter's population,
 * standardized_ratio = observed/expected its outcome count.
 */
export const riskReader: Reader<RiskRaw> = {
  name: 'risk',
  async fetch(context) {
    const runs =
      (await context.get<{ items: RunJson[] }>(`/v1/risk-model/runs?status=succeeded${listAll}`))
        ?.items ?? []
    const snapshots = context.fetched<SnapshotsRaw>('snapshots')
    const periods = new Set<string>()
    for (const rows of Object.values(snapshots?.current ?? {})) {
      for (const row of rows) periods.add(row.period)
    }
    const horizons = [...new Set(runs.map((run) => run.horizon_quarters))].sort((a, b) => a - b)
    const scores: RiskRaw['scores'] = {}
    const details: RunJson[] = []
    for (const horizon of horizons) {
      const latest = await context.get<{ run_id: string; items: RiskItemJson[] }>(
        `/v1/risk?horizon_quarters=${horizon}${listAll}`,
      )
      if (!latest) continue
      const run = await context.get<RunJson>(`/v1/risk-model/runs/${latest.run_id}`)
      if (!run) continue
      details.push(run)
      const byPeriod: Record<string, RiskItemJson[]> = {}
      for (const period of [...periods].sort()) {
        const answer = await context.get<{ run_id: string; items: RiskItemJson[] }>(
          `/v1/risk?horizon_quarters=${horizon}&period=${period}${listAll}`,
        )
        if (answer && answer.run_id === run.id && answer.items.length > 0)
          byPeriod[period] = answer.items
      }
      scores[run.id] = byPeriod
    }
    return { runs: details, scores }
  },
  observe(model, epoch, raw) {
    for (const run of raw.runs) {
      if (model.observedRuns.has(`${model.basis}|${run.id}`)) continue
      model.observedRuns.add(`${model.basis}|${run.id}`)
      const view = model.view
      const estimate = (term: string) => run.coefficients?.find((c) => c.term === term)?.estimate
      const b0 = estimate('intercept')
      const b1 = estimate('early_school_leaving')
      const b2 = estimate('halt')
      const b3 = estimate('parental_debt')
      const haveModel = [b0, b1, b2, b3].every((value) => typeof value === 'number')
      for (const items of Object.values(raw.scores[run.id] ?? {})) {
        for (const item of items) {
          const area = item.area_code
          if (!model.area(area)) continue
          const where = `run h${run.horizon_quarters} ${area} ${item.period}→${item.target_period}`
          const targetRow = model.row(epoch, area, item.target_period)
          const targetCount = model.cell(epoch, area, item.target_period, 'drug_offence_suspects')
          const targetPeople = model.cell(epoch, area, item.target_period, 'youth_population')
          const ownPeople = model.cell(epoch, area, item.period, 'youth_population')
          model.shownSum(
            'risk',
            `${where} youth_population`,
            targetRow
              ? targetPeople === null
                ? null
                : [targetPeople]
              : ownPeople === null
                ? null
                : [ownPeople],
            item.youth_population,
            'population',
          )
          model.shownSum(
            'risk',
            `${where} observed`,
            targetCount === null ? null : [targetCount],
            item.observed,
          )
          const risk = item.risk
          if (risk === null) continue
          const riskTolerance = toleranceOf(risk)
          const relative = riskTolerance / risk
          if (haveModel) {
            const vars = [
              model.cell(epoch, area, item.period, 'early_school_leavers'),
              model.cell(epoch, area, item.period, 'halt_registrations'),
              model.cell(epoch, area, item.period, 'parental_debt'),
              ownPeople,
            ]
            if (vars.every((variable) => variable !== null)) {
              const [intercept, leaving, halt, debt] = [b0!, b1!, b2!, b3!]
              model.observe(
                new TupleConstraint(
                  'risk',
                  `${where} risk = ${risk}`,
                  vars as number[],
                  (values) => {
                    const [e, h, d, n] = values.map(view)
                    if (n <= 0) return false
                    let linear = 0
                    linear += 1 * intercept
                    linear += (e / n) * leaving
                    linear += (h / n) * halt
                    linear += (d / n) * debt
                    const fitted =
                      linear >= 0
                        ? 1 / (1 + Math.exp(-linear))
                        : Math.exp(linear) / (1 + Math.exp(linear))
                    return Math.abs(fitted - risk) <= riskTolerance
                  },
                ),
                `risk|${vars.join(',')}|${run.id}|${risk}`,
              )
            }
          }
          const expected = item.expected
          if (expected !== null && targetPeople !== null) {
            const tolerance = toleranceOf(expected) + expected * relative
            model.observe(
              new TupleConstraint(
                'risk',
                `${where} expected = ${expected}`,
                [targetPeople],
                ([n]) => Math.abs(view(n) * risk - expected) <= tolerance,
              ),
              `expected|${targetPeople}|${risk}|${expected}`,
            )
            const ratio = item.standardized_ratio
            if (ratio !== null && targetCount !== null) {
              const ratioTolerance = toleranceOf(ratio) + ratio * 2 * relative
              model.observe(
                new TupleConstraint(
                  'risk',
                  `${where} standardized_ratio = ${ratio}`,
                  [targetCount, targetPeople],
                  ([c, n]) =>
                    view(n) > 0 && Math.abs(view(c) / (view(n) * risk) - ratio) <= ratioTolerance,
                ),
                `ratio-sr|${targetCount}|${targetPeople}|${risk}|${ratio}`,
              )
            }
          }
        }
      }
    }
  },
}

/** `GET /v1/risk-model/runs`: quality figures; a calibration decile below minCell is noted. */
export const modelRunsReader: Reader<RunJson[]> = {
  name: 'model-runs',
  async fetch(context) {
    return (await context.get<{ items: RunJson[] }>(`/v1/risk-model/runs?limit=1000`))?.items ?? []
  },
  observe(model, _epoch, raw) {
    for (const run of raw) {
      for (const decile of run.quality?.calibration ?? []) {
        if (decile.observed > 0 && decile.observed < model.thresholds.minCell) {
          model.noteOnce(
            `calibration decile below ${model.thresholds.minCell} shown (run ${run.id.slice(0, 8)} h${run.horizon_quarters}, decile ${decile.decile}: observed ${decile.observed})`,
          )
        }
      }
    }
  },
}

// ---------------------------------------------------------------------------- effects

interface AreaEffectJson {
  area_code: string
  start_period: string
  att: Nullable
  pre_rmspe: Nullable
  post_rmspe: Nullable
  series?: { period: string; observed: Nullable; synthetic: Nullable }[]
}

interface EffectsJson {
  method: 'synthetic_control' | 'did'
  outcome: CountColumn
  by_area: AreaEffectJson[]
  period_from: string
  period_to: string
}

interface EffectsRaw {
  effects: EffectsJson[]
}

/**
 * `GET /v1/interventions/:id/effects` (finding 3), for every intervention in scope and both
 * methods. Synthetic control: each shown observed rate is c/n of the treated area; with the
 * synthetic series shown, `att` (the mean post-period gap) gives Σ c_t/n_t over the post
 * quarters and the RMSPEs give Σ (c_t/n_t − synthetic_t)² before and after the start: weighted
 * sums searched meet-in-the-middle. DiD: areas starting together share the control change, so
 * the difference of two areas' `att` is a known weighted sum of their rates.
 */
export const effectsReader: Reader<EffectsRaw> = {
  name: 'effects',
  async fetch(context) {
    const interventions =
      (await context.get<{ items: { id: string }[] }>(`/v1/interventions?limit=1000`))?.items ?? []
    const outcomes = context.options.allOutcomes
      ? countColumns
      : (['drug_offence_suspects'] as const)
    const effects: EffectsJson[] = []
    for (const intervention of interventions) {
      for (const method of ['synthetic_control', 'did'] as const) {
        for (const outcome of outcomes) {
          const answer = await context.get<EffectsJson>(
            `/v1/interventions/${intervention.id}/effects?method=${method}&outcome=${outcome}`,
          )
          if (answer) effects.push(answer)
        }
      }
    }
    return { effects }
  },
  observe(model, epoch, raw) {
    for (const effects of raw.effects) {
      const periods: string[] = []
      for (
        let period = effects.period_from;
        period <= effects.period_to;
        period = shiftPeriod(period, 1)
      ) {
        periods.push(period)
      }
      const column = effects.outcome
      const view = model.view
      const rateTerm = (
        area: string,
        period: string,
        value: (rate: number) => number,
      ): RealTerm | null => {
        const count = model.cell(epoch, area, period, column)
        const population = model.cell(epoch, area, period, 'youth_population')
        if (count === null || population === null) return null
        return {
          vars: [count, population],
          value: ([c, n]) => (view(n) > 0 ? value(view(c) / view(n)) : Number.NaN),
        }
      }
      if (effects.method === 'synthetic_control') {
        for (const entry of effects.by_area) {
          const area = entry.area_code
          if (!model.area(area) || !entry.series) continue
          const reader = 'effects:synthetic-control'
          for (const point of entry.series) {
            model.shownRatio(
              reader,
              `${area} ${point.period} observed ${column} rate`,
              model.cells(epoch, [area], [point.period], column),
              model.cells(epoch, [area], [point.period], 'youth_population'),
              point.observed,
              model.roundedRate(epoch, area, point.period, column),
            )
          }
          const post = entry.series.filter((point) => point.period >= entry.start_period)
          const pre = entry.series.filter((point) => point.period < entry.start_period)
          const synthetic = (points: typeof post) =>
            points.every((point) => point.synthetic !== null)
              ? points.map((point) => point.synthetic as number)
              : null
          const postSynthetic = synthetic(post)
          const preSynthetic = synthetic(pre)
          const sumOf = (values: number[]) => values.reduce((sum, value) => sum + value, 0)
          if (entry.att !== null && postSynthetic) {
            const terms = post.map((point) => rateTerm(area, point.period, (rate) => rate))
            if (terms.every((term) => term !== null)) {
              const target = post.length * entry.att + sumOf(postSynthetic)
              const tolerance =
                post.length * toleranceOf(entry.att) +
                1e-12 * (1 + sumOf(postSynthetic.map(Math.abs)))
              model.observe(
                new RealSumConstraint(
                  reader,
                  `${area} att = ${entry.att}`,
                  terms as RealTerm[],
                  target,
                  tolerance,
                ),
                `att|${area}|${column}|${epoch}|${entry.att}`,
              )
            }
          }
          for (const [points, shownSynthetic, rmspe, name] of [
            [pre, preSynthetic, entry.pre_rmspe, 'pre_rmspe'],
            [post, postSynthetic, entry.post_rmspe, 'post_rmspe'],
          ] as const) {
            if (rmspe === null || !shownSynthetic || points.length === 0) continue
            const terms = points.map((point, at) =>
              rateTerm(area, point.period, (rate) => (rate - shownSynthetic[at]) ** 2),
            )
            if (terms.some((term) => term === null)) continue
            const target = points.length * rmspe * rmspe
            const tolerance = points.length * 2 * rmspe * toleranceOf(rmspe) + 1e-13
            model.observe(
              new RealSumConstraint(
                reader,
                `${area} ${name} = ${rmspe}`,
                terms as RealTerm[],
                target,
                tolerance,
              ),
              `rmspe|${area}|${column}|${epoch}|${name}|${rmspe}`,
            )
          }
        }
      } else {
        const shown = effects.by_area.filter(
          (entry) => entry.att !== null && model.area(entry.area_code),
        )
        const byStart = new Map<string, AreaEffectJson[]>()
        for (const entry of shown) {
          byStart.set(entry.start_period, [...(byStart.get(entry.start_period) ?? []), entry])
        }
        for (const [start, entries] of byStart) {
          const postCount = periods.filter((period) => period >= start).length
          const preCount = periods.length - postCount
          if (postCount === 0 || preCount === 0) continue
          const weight = (period: string) => (period >= start ? 1 / postCount : -1 / preCount)
          for (let at = 1; at < entries.length; at++) {
            const [first, second] = [entries[at - 1], entries[at]]
            const terms = [
              ...periods.map((period) =>
                rateTerm(first.area_code, period, (rate) => weight(period) * rate),
              ),
              ...periods.map((period) =>
                rateTerm(second.area_code, period, (rate) => -weight(period) * rate),
              ),
            ]
            if (terms.some((term) => term === null)) continue
            const target = (first.att as number) - (second.att as number)
            const tolerance =
              toleranceOf(first.att as number) + toleranceOf(second.att as number) + 1e-12
            model.observe(
              new RealSumConstraint(
                'effects:did',
                `${first.area_code} − ${second.area_code} att = ${target}`,
                terms as RealTerm[],
                target,
                tolerance,
              ),
              `did|${first.area_code}|${second.area_code}|${column}|${epoch}|${target}`,
            )
          }
        }
      }
    }
  },
}

// ---------------------------------------------------------------------------- alerts

interface AlertJson {
  id: string
  kind: 'risk_percentile' | 'yoy_rise' | 'aberration' | 'trend'
  area_code: string
  period: string
  value: Nullable
  threshold: Nullable
  explanation: string
  updated_at: string
  suppressed?: string[]
}

/**
 * `GET /v1/alerts` (every state): an aberration alert says its quarter's count exceeded
 * `threshold`, its `value` and explanation show that count ("fewer than 10" included); a
 * year-over-year alert's `value` is the relative rise of the 4-quarter rate and its explanation
 * shows both 4-quarter counts and rates (two decimals of a percent). An alert whose facts did not
 * change across the revision tells about the old state.
 */
export const alertsReader: Reader<AlertJson[]> = {
  name: 'alerts',
  async fetch(context) {
    return (await context.get<{ items: AlertJson[] }>(`/v1/alerts?limit=10000`))?.items ?? []
  },
  observe(model, epoch, raw, { asOf, before }) {
    // an alert keeps the facts of the last quarter its condition held: one the viewer saw
    // unchanged before the revision still tells about the old state
    const facts = (alert: AlertJson) =>
      JSON.stringify([alert.id, alert.period, alert.value, alert.threshold, alert.explanation])
    const seenBefore = new Set((before ?? []).map(facts))
    for (const alert of raw) {
      const area = alert.area_code
      if (!model.area(area)) continue
      const old = before
        ? seenBefore.has(facts(alert))
        : asOf !== undefined && alert.updated_at <= asOf
      const state: Epoch = old ? 'before' : epoch
      const where = `${alert.kind} alert ${area} ${alert.period}`
      if (alert.kind === 'aberration') {
        const count = model.cell(state, area, alert.period, 'drug_offence_suspects')
        if (count === null) continue
        const key = model.solver.keyOf(count)
        model.shownSum('alerts', `${where} value`, [count], alert.value)
        const threshold = alert.threshold
        if (threshold !== null) {
          const view = model.view
          model.observe(
            new TupleConstraint(
              'alerts',
              `${where} count above threshold ${threshold}`,
              [count],
              ([value]) => view(value) > threshold,
            ),
            `above|${count}|${threshold}`,
          )
        }
        const head = /^(fewer than (\d+)|(\d+)) young suspects in (\d{4}Q\d)/.exec(
          alert.explanation,
        )
        if (head && head[4] === alert.period) {
          if (head[2])
            model.solver.within(
              key,
              0,
              Number(head[2]) - 1,
              'alerts',
              `${where} explanation "${head[1]}"`,
            )
          else model.shownSum('alerts', `${where} explanation`, [count], Number(head[3]))
        }
      } else if (alert.kind === 'yoy_rise') {
        const current = windowOf(alert.period, 0)
        const previous = windowOf(alert.period, 1)
        const counts = model.cells(state, [area], current, 'drug_offence_suspects')
        const countsBefore = model.cells(state, [area], previous, 'drug_offence_suspects')
        const people = model.cells(state, [area], current, 'youth_population')
        const peopleBefore = model.cells(state, [area], previous, 'youth_population')
        const head =
          /^(fewer than (\d+)|(\d+)) young suspects in the four quarters to (\d{4}Q\d) against (fewer than (\d+)|(\d+)) the year before(: rate ([\d.]+)% against ([\d.]+)%)?/.exec(
            alert.explanation,
          )
        if (head && head[4] === alert.period) {
          for (const [vars, fewer, shown] of [
            [counts, head[2], head[3]],
            [countsBefore, head[6], head[7]],
          ] as const) {
            if (!vars) continue
            if (fewer) {
              model.relation(
                'alerts',
                `${where} explanation: fewer than ${fewer}`,
                [vars],
                ([sum]) => sum < Number(fewer),
                `fewer|${fewer}`,
              )
            } else if (shown) {
              model.shownSum('alerts', `${where} explanation count`, vars, Number(shown))
            }
          }
          if (head[9] && head[10]) {
            for (const [vars, base, percent] of [
              [counts, people, head[9]],
              [countsBefore, peopleBefore, head[10]],
            ] as const) {
              const shownRate = Number(percent) / 100
              const tolerance = 0.5 * 10 ** -(decimalsOf(Number(percent)) + 2) + 1e-12
              model.relation(
                'alerts',
                `${where} explanation rate ${percent}%`,
                [vars, base],
                ([c, n]) => n > 0 && Math.abs(c / n - shownRate) <= tolerance,
                `alert-rate|${percent}`,
              )
            }
          }
        }
        const rise = alert.value
        if (rise !== null) {
          const tolerance = toleranceOf(rise) + 1e-12
          model.relation(
            'alerts',
            `${where} relative rise = ${rise}`,
            [counts, people, countsBefore, peopleBefore],
            ([c1, n1, c0, n0]) =>
              n1 > 0 &&
              n0 > 0 &&
              c0 > 0 &&
              Math.abs((c1 / n1 - c0 / n0) / (c0 / n0) - rise) <= tolerance,
            `relative|${rise}`,
          )
        }
      }
    }
  },
}

/** Every reader, in the order their constraints are credited (the first keeps a duplicate). */
export const readers: readonly Reader<never>[] = [
  snapshotsReader,
  trendReader,
  trendListReader,
  trendWindowReader,
  riskReader,
  effectsReader,
  alertsReader,
  modelRunsReader,
] as unknown as readonly Reader<never>[]

// =============================================================================================
// The adversary: read as a viewer, solve, compare with the truth
// =============================================================================================

export interface AdversaryReport {
  municipality: string
  /** Suppressed cells (targets), over both states. */
  suppressed: number
  /** Targets left with one candidate. */
  recovered: number
  /** Recovered cells by the reader whose constraint made the last cut. */
  byReader: Record<string, number>
  /** Suppressed and recovered cells per count column. */
  byColumn: Record<string, { suppressed: number; recovered: number }>
  /** Recovered cells whose value differs from the truth (must be empty: a solver bug). */
  wrong: string[]
  /** Targets left with at most three candidates (recovered included). */
  nearlyRecovered: number
  /** A few recovered cells, for the record. */
  examples: string[]
  /** Constraints the true values violate: a reader misreads its route. */
  inconsistencies: string[]
  /** Things seen on the way (counts below minCell shown, unrounded counts). */
  diagnostics: Record<string, number>
  requests: number
  readMs: number
  readMsByReader: Record<string, number>
  /** Per reader and epoch: read as exact values ('exact') or as the rounded table ('rounded'). */
  readings: Record<string, string>
  solver: Omit<SolveResult, 'domains' | 'decidedBy' | 'inconsistencies' | 'readings'> & {
    unknowns: number
    bounds: number
  }
}

/** Exact rows as an admin reads them, per state, by `area|period`. */
export type TruthRows = Map<Epoch, Map<string, SnapshotJson>>

function rowsByKey(rows: Record<string, SnapshotJson[]>): Map<string, SnapshotJson> {
  const byKey = new Map<string, SnapshotJson>()
  for (const [area, list] of Object.entries(rows)) {
    for (const row of list) byKey.set(`${area}|${row.period}`, row)
  }
  return byKey
}

/** The exact rows of every area of a municipality, current and (when given) as of `asOf`. */
export async function readTruth(
  app: FastifyInstance,
  admin: { authorization: string },
  municipality: string,
  asOf?: string,
): Promise<TruthRows> {
  const get = async <Answer>(url: string) =>
    (await app.inject({ method: 'GET', url, headers: admin })).json() as Answer
  const areas = (
    await get<{ items: AreaJson[] }>(`/v1/areas?municipality=${municipality}${listAll}`)
  ).items
  const read = async (query: string) => {
    const rows: Record<string, SnapshotJson[]> = {}
    for (const area of areas) {
      const answer = await get<{ items: SnapshotJson[] }>(
        `/v1/areas/${area.area_code}/snapshots?limit=10000${query}`,
      )
      if (answer.items?.length) rows[area.area_code] = answer.items
    }
    return rowsByKey(rows)
  }
  const truth: TruthRows = new Map([['after', await read('')]])
  if (asOf) truth.set('before', await read(`&as_of=${encodeURIComponent(asOf)}`))
  else truth.set('before', truth.get('after')!)
  return truth
}

/**
 * Reads every route as a viewer (once per epoch), then solves. Usage: `read('before')`,
 * a revision, `read('after', { asOf })` with a time before the revision, `solve(truth)`.
 */
export class DisclosureAdversary {
  readonly options: AdversaryOptions
  private readonly fetched = new Map<Epoch, Map<string, unknown>>()
  private asOf?: string
  private areas: AreaJson[] = []
  requests = 0
  readMs = 0
  readonly readMsByReader: Record<string, number> = {}

  constructor(
    private readonly app: FastifyInstance,
    private readonly viewer: { authorization: string },
    options: Partial<AdversaryOptions> & { municipality: string },
    private readonly readerList: readonly Reader<never>[] = readers,
  ) {
    this.options = {
      thresholds: { minCell: 10, roundTo: 5 },
      windowBudget: 150,
      allOutcomes: false,
      ...options,
    }
  }

  private async get<Answer>(url: string): Promise<Answer | null> {
    this.requests++
    let response = await this.app.inject({ method: 'GET', url, headers: this.viewer })
    // under pressure (a busy event loop while effects are estimated) the service answers 503:
    // a client waits and asks again
    for (let attempt = 1; response.statusCode === 503 && attempt <= 10; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt))
      response = await this.app.inject({ method: 'GET', url, headers: this.viewer })
    }
    if (response.statusCode >= 500) {
      throw new Error(
        `disclosure adversary: GET ${url} answered ${response.statusCode}: ${response.body}`,
      )
    }
    return response.statusCode === 200 ? (response.json() as Answer) : null
  }

  /** Every reader's fetch, as a viewer, for one epoch. */
  async read(epoch: Epoch, options: { asOf?: string } = {}): Promise<void> {
    const started = performance.now()
    if (options.asOf) this.asOf = options.asOf
    const areas = await this.get<{ items: AreaJson[] }>(
      `/v1/areas?municipality=${this.options.municipality}${listAll}`,
    )
    this.areas = areas?.items ?? []
    const fetched = new Map<string, unknown>()
    this.fetched.set(epoch, fetched)
    const context: ReaderContext = {
      epoch,
      asOf: options.asOf,
      options: this.options,
      areas: this.areas,
      get: (url) => this.get(url),
      fetched: <Raw>(reader: string) => fetched.get(reader) as Raw | undefined,
    }
    for (const reader of this.readerList) {
      const readerStarted = performance.now()
      fetched.set(reader.name, await reader.fetch(context))
      this.readMsByReader[reader.name] =
        (this.readMsByReader[reader.name] ?? 0) + Math.round(performance.now() - readerStarted)
    }
    this.readMs += performance.now() - started
  }

  /** Builds the model from what was read, solves, and compares with the truth. */
  solve(truth: TruthRows, options: { timeBudgetMs?: number } = {}): AdversaryReport {
    const shown = new Map<Epoch, Map<string, SnapshotJson>>()
    const before = this.fetched.get('before')?.get('snapshots') as SnapshotsRaw | undefined
    const after = this.fetched.get('after')?.get('snapshots') as SnapshotsRaw | undefined
    const old = new Map<string, SnapshotJson>()
    for (const source of [before?.current, after?.asOf]) {
      for (const [key, row] of rowsByKey(source ?? {})) if (!old.has(key)) old.set(key, row)
    }
    if (old.size > 0) shown.set('before', old)
    if (after) shown.set('after', rowsByKey(after.current))
    // rows a revision replaced: their batch changed (revision metadata the viewer sees)
    let revised: Set<string> | 'all' = new Set<string>()
    const newer = shown.get('after')
    if (old.size > 0 && newer) {
      for (const [key, row] of newer) {
        const earlier = old.get(key)
        if (!earlier) continue
        if (!row.batch_id || !earlier.batch_id) {
          revised = 'all'
          break
        }
        if (row.batch_id !== earlier.batch_id) revised.add(key)
      }
    }
    const solver = new DisclosureSolver()
    const model = new AttackModel(solver, this.options.thresholds, this.areas, shown, revised)
    if (revised === 'all') model.note('revision metadata hidden: states modelled as independent')
    for (const epoch of ['before', 'after'] as const) {
      const fetched = this.fetched.get(epoch)
      if (!fetched) continue
      for (const reader of this.readerList) {
        const raw = fetched.get(reader.name)
        if (raw === undefined) continue
        // every observation in both readings; the solver keeps the one the route uses
        for (const basis of ['exact', 'rounded'] as const) {
          model.basis = basis
          model.observing = epoch
          reader.observe(model, epoch, raw as never, {
            asOf: this.asOf,
            before: (epoch === 'after'
              ? this.fetched.get('before')?.get(reader.name)
              : undefined) as never,
          })
        }
      }
    }

    // the truth of every unknown
    const truthByKey = new Map<string, number>()
    const { unknowns } = solver.size
    for (let variable = 0; variable < unknowns; variable++) {
      const key = solver.keyOf(variable)
      const [state, area, period, column] = key.split('|')
      const sources: Epoch[] = state === 'same' ? ['after', 'before'] : [state as Epoch]
      const values = sources
        .map((epoch) => truth.get(epoch)?.get(`${area}|${period}`)?.[column as CellColumn])
        .filter((value): value is number => typeof value === 'number')
      if (values.length === 0) continue
      if (values.some((value) => value !== values[0])) {
        model.note(`${key} changed although its batch did not`)
        continue
      }
      truthByKey.set(key, values[0])
    }
    const result = solver.solve({ truth: truthByKey, timeBudgetMs: options.timeBudgetMs })

    const byReader: Record<string, number> = {}
    const wrong: string[] = []
    const examples: string[] = []
    let recovered = 0
    let nearlyRecovered = 0
    const byColumn: AdversaryReport['byColumn'] = {}
    for (const target of model.targets.values()) {
      const domain = result.domains.get(target.key) ?? []
      const column = (byColumn[target.column] ??= { suppressed: 0, recovered: 0 })
      column.suppressed++
      if (domain.length <= 3) nearlyRecovered++
      if (domain.length !== 1) continue
      recovered++
      column.recovered++
      const reader = result.decidedBy.get(target.key) ?? '?'
      byReader[reader] = (byReader[reader] ?? 0) + 1
      const actual = truthByKey.get(target.key)
      if (actual !== domain[0])
        wrong.push(`${target.key}: recovered ${domain[0]}, stored ${actual}`)
      if (examples.length < 8) examples.push(`${target.key} = ${domain[0]} (${reader})`)
    }
    return {
      municipality: this.options.municipality,
      suppressed: model.targets.size,
      recovered,
      byReader,
      byColumn,
      wrong,
      nearlyRecovered,
      examples,
      inconsistencies: result.inconsistencies,
      readings: result.readings,
      diagnostics: Object.fromEntries(model.diagnostics),
      requests: this.requests,
      readMs: Math.round(this.readMs),
      readMsByReader: this.readMsByReader,
      solver: {
        constraints: result.constraints,
        neverEnumerated: result.neverEnumerated,
        propagations: result.propagations,
        msByReader: result.msByReader,
        timedOut: result.timedOut,
        ms: result.ms,
        unknowns: solver.size.unknowns,
        bounds: solver.size.bounds,
      },
    }
  }
}

/** The report as a few lines for `t.comment`. */
export function describeReport(report: AdversaryReport): string[] {
  const readersText = Object.entries(report.byReader)
    .sort((a, b) => b[1] - a[1])
    .map(([reader, count]) => `${reader} ${count}`)
    .join(', ')
  return [
    `${report.municipality}: ${report.recovered} of ${report.suppressed} suppressed cells recovered` +
      ` (${report.nearlyRecovered} left with at most 3 candidates)`,
    `  per column: ${Object.entries(report.byColumn)
      .map(([column, { suppressed, recovered }]) => `${column} ${recovered}/${suppressed}`)
      .join(', ')}`,
    `  last decisive cut by: ${readersText || 'none'}`,
    `  ${report.requests} viewer reads in ${report.readMs} ms (${Object.entries(
      report.readMsByReader,
    )
      .map(([reader, ms]) => `${reader} ${ms}`)
      .join(', ')}); solver ${report.solver.ms} ms, ` +
      `${report.solver.unknowns} unknowns, ${report.solver.constraints} constraints, ` +
      `${report.solver.propagations} propagations, ${report.solver.neverEnumerated} never small enough` +
      (report.solver.timedOut ? ', stopped at its time budget' : ''),
    ...report.examples.map((example) => `  e.g. ${example}`),
    ...Object.entries(report.diagnostics).map(([what, count]) => `  seen: ${what} ×${count}`),
  ]
}

/**
 * A re-delivery for the revision attack (finding 5), chosen from the exact values, in one
 * quarter: a shown count just above minCell falls below it (13 → 8: shown before, suppressed
 * after), and in another district a suppressed outcome count changes and stays suppressed
 * (4 → 7). Answers a time before the upload (for `as_of`) and the cells changed.
 */
export async function reviseForAttack(
  app: FastifyInstance,
  admin: { authorization: string },
  municipality: string,
  minCell = 10,
): Promise<{ asOf: string; changed: string[] }> {
  const truth = (await readTruth(app, admin, municipality)).get('after')!
  const rows = [...truth.entries()]
    .map(([key, row]) => ({ area: key.split('|')[0], row }))
    .filter(({ area }) => area.startsWith('BU'))
    .sort((a, b) =>
      a.row.period > b.row.period ? -1 : a.row.period < b.row.period ? 1 : a.area < b.area ? -1 : 1,
    )
  const columns = [...countColumns].reverse() // the outcome first
  let falling: { area: string; row: SnapshotJson; column: CountColumn } | undefined
  for (const column of columns) {
    const found = rows.find(({ row }) => {
      const value = row[column]
      return value !== null && value >= minCell && value <= minCell + 6
    })
    if (found) {
      falling = { ...found, column }
      break
    }
  }
  if (!falling)
    throw new Error(`reviseForAttack: no count just above ${minCell} in ${municipality}`)
  const quarter = falling.row.period
  const district = falling.area.slice(2, 8)
  const small =
    rows.find(({ area, row }) => {
      const value = row.drug_offence_suspects
      return (
        row.period === quarter &&
        area.slice(2, 8) !== district &&
        value !== null &&
        value >= 1 &&
        value <= minCell - 4
      )
    }) ??
    rows.find(({ area, row }) => {
      const value = row.drug_offence_suspects
      return area !== falling.area && value !== null && value >= 1 && value <= minCell - 4
    })
  const upload = (entry: { area: string; row: SnapshotJson }, changes: Partial<SnapshotJson>) => {
    const row = { ...entry.row, ...changes }
    return {
      area_code: entry.area,
      period: row.period,
      youth_population: row.youth_population,
      early_school_leavers: row.early_school_leavers,
      halt_registrations: row.halt_registrations,
      parental_debt: row.parental_debt,
      drug_offence_suspects: row.drug_offence_suspects,
    }
  }
  const payload = [upload(falling, { [falling.column]: minCell - 2 })]
  const changed = [
    `${falling.area} ${quarter} ${falling.column} ${falling.row[falling.column]} → ${minCell - 2}`,
  ]
  if (small) {
    const before = small.row.drug_offence_suspects!
    payload.push(upload(small, { drug_offence_suspects: before + 3 }))
    changed.push(
      `${small.area} ${small.row.period} drug_offence_suspects ${before} → ${before + 3}`,
    )
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
  const asOf = new Date().toISOString()
  await new Promise((resolve) => setTimeout(resolve, 20))
  const response = await app.inject({
    method: 'POST',
    url: '/v1/snapshots',
    headers: admin,
    payload,
  })
  if (response.statusCode !== 201) throw new Error(`reviseForAttack: ${response.body}`)
  return { asOf, changed }
}
