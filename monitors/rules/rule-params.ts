/**
 * Alert rule kinds and their parameters (DESIGN.md §3 alert-rules), with the defaults filled in
 * and every value checked, so a rule is stored complete and evaluation never guesses.
 *
 * Common to every kind:
 * - `min_count` (default 5): the count the finding rests on must reach it, so small numbers
 *   never fire on their own (the quarter's suspects for `aberration`, the suspects over the four
 *   quarters ending at the evaluated quarter for the other kinds);
 * - `consecutive` (default 1): the condition must hold in this many consecutive quarters, the
 *   latest included, before an alert fires;
 * - `clear_quarters` (default 2): an open alert resolves once the condition has been clear in
 *   this many consecutive quarters (hysteresis, so a borderline area does not flap).
 * Per kind: `risk_percentile` `p` (10, percent) and `horizon_quarters` (0); `yoy_rise` `q`
 * (0.05) and `min_relative_rise` (0.1); `aberration` `alpha` (0.05), `b` (5 years), `w`
 * (1 quarter), `weights_threshold` (2.58), `limit54` ([5, 4]: at least 5 cases in the last 4
 * quarters); `trend` `alpha` (0.05).
 */
export const alertKinds = ['risk_percentile', 'yoy_rise', 'aberration', 'trend'] as const
export type AlertKind = (typeof alertKinds)[number]

export interface CommonParams {
  min_count: number
  consecutive: number
  clear_quarters: number
}
export interface RiskPercentileParams extends CommonParams {
  p: number
  horizon_quarters: number
}
export interface YoyRiseParams extends CommonParams {
  q: number
  min_relative_rise: number
}
export interface AberrationParams extends CommonParams {
  alpha: number
  b: number
  w: number
  weights_threshold: number
  limit54: [number, number]
}
export interface TrendParams extends CommonParams {
  alpha: number
}

export interface ParamsByKind {
  risk_percentile: RiskPercentileParams
  yoy_rise: YoyRiseParams
  aberration: AberrationParams
  trend: TrendParams
}
export type RuleParams = ParamsByKind[AlertKind]

const common: CommonParams = { min_count: 5, consecutive: 1, clear_quarters: 2 }

export const defaultParams: { [K in AlertKind]: ParamsByKind[K] } = {
  risk_percentile: { ...common, p: 10, horizon_quarters: 0 },
  yoy_rise: { ...common, q: 0.05, min_relative_rise: 0.1 },
  aberration: { ...common, alpha: 0.05, b: 5, w: 1, weights_threshold: 2.58, limit54: [5, 4] },
  trend: { ...common, alpha: 0.05 },
}

type Check = (value: unknown) => string | undefined

const wholeNumber =
  (min: number, max: number): Check =>
  (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `a whole number from ${min} to ${max}`
const openInterval =
  (min: number, max: number): Check =>
  (value) =>
    typeof value === 'number' && value > min && value < max
      ? undefined
      : `a number above ${min} and below ${max}`
const atLeast =
  (min: number): Check =>
  (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min
      ? undefined
      : `a number of at least ${min}`

const commonChecks: Record<keyof CommonParams, Check> = {
  min_count: wholeNumber(0, 1_000_000),
  consecutive: wholeNumber(1, 8),
  clear_quarters: wholeNumber(1, 8),
}

const checks: { [K in AlertKind]: Record<string, Check> } = {
  risk_percentile: {
    ...commonChecks,
    p: openInterval(0, 100),
    horizon_quarters: wholeNumber(0, 40),
  },
  yoy_rise: { ...commonChecks, q: openInterval(0, 1), min_relative_rise: atLeast(0) },
  aberration: {
    ...commonChecks,
    alpha: openInterval(0, 1),
    b: wholeNumber(1, 10),
    w: wholeNumber(0, 3),
    weights_threshold: atLeast(0),
    limit54: (value) =>
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      value[0] >= 0 &&
      Number.isInteger(value[1]) &&
      value[1] >= 1
        ? undefined
        : 'a pair [cases ≥ 0, quarters ≥ 1]',
  },
  trend: { ...commonChecks, alpha: openInterval(0, 1) },
}

export function isAlertKind(kind: string): kind is AlertKind {
  return (alertKinds as readonly string[]).includes(kind)
}

/**
 * The complete parameters of a rule: the given ones over the kind's defaults.
 *
 * @throws {RangeError} naming the parameter, the rule and the fix, for an unknown parameter or
 *   a value out of range
 */
export function resolveRuleParams<K extends AlertKind>(
  kind: K,
  params: Readonly<Record<string, unknown>> = {},
): ParamsByKind[K] {
  const allowed = checks[kind]
  for (const [name, value] of Object.entries(params)) {
    const check = allowed[name]
    if (!check) {
      throw new RangeError(
        `resolveRuleParams: ${kind} has no parameter ${name}; known are ${Object.keys(allowed).join(', ')}`,
      )
    }
    const problem = check(value)
    if (problem) {
      throw new RangeError(
        `resolveRuleParams: ${kind} parameter ${name} must be ${problem}, got ${JSON.stringify(value)}`,
      )
    }
  }
  // a deep copy: a resolved rule must not share the defaults' arrays (limit54)
  return structuredClone({ ...defaultParams[kind], ...params }) as ParamsByKind[K]
}
