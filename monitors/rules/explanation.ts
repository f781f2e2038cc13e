import { outcome, predictors } from '../../models/vocabulary/indicators.js'
import type { AlertFacts, PredictorRise } from './alert-input.js'

/**
 * How numbers may appear in an explanation. The exact style writes every number. A viewer style
 * (built by services/domain/alert-disclosure.ts from the disclosure module) writes one quarter's
 * count as the viewer's table shows it ("fewer than 10", or rounded) and no figure computed from
 * exact counts: no 4-quarter sum, rate, change, p-value, test statistic, expected count,
 * threshold or rank (DESIGN.md §5: a viewer's figures come from the rounded table; the
 * explanation then says in words what fired). Monitors stay free of service code: the style is
 * passed in.
 */
export interface ExplanationStyle {
  /** One quarter's count as it may be shown ("9", or "fewer than 10" / "15" for a viewer). */
  count(value: number): string
  /** Whether figures computed from exact counts (sums, rates, tests, model outputs) are written. */
  figuresShown: boolean
  /** Whether a value derived from these counts on this base (people) may be shown. */
  derivedShown(counts: readonly number[], base: number): boolean
}

export const exactStyle: ExplanationStyle = {
  count: (value) => String(value),
  figuresShown: true,
  derivedShown: () => true,
}

/** The words for each predictor, from the vocabulary's labels. */
const predictorLabels = Object.fromEntries(
  predictors.map((entry) => [entry.term, entry.label]),
) as Record<PredictorRise['predictor'], string>

/** The words for the outcome ("young suspects"). */
const outcomeWords = outcome.label

const oneDecimal = (value: number) => value.toFixed(1)
const percent = (value: number) => `${Math.round(value * 100)}%`
const ratePercent = (value: number) => `${(value * 100).toFixed(2)}%`
const pValue = (value: number) => (value < 0.001 ? '< 0.001' : `= ${value.toPrecision(2)}`)

function predictorClause(predictor: PredictorRise | null, style: ExplanationStyle): string {
  if (!predictor || !style.figuresShown) return ''
  if (!style.derivedShown([predictor.count, predictor.count_prev_year], predictor.population / 4)) {
    return ''
  }
  return `; ${predictorLabels[predictor.predictor]} up ${percent(predictor.relative_change)} year over year`
}

/**
 * The sentence a programme lead reads: what was counted, against what, and the likeliest
 * context ("9 young suspects in 2024Q4 against 3.1 expected, threshold 7.4 from 2019–2023;
 * parental debt up 40% year over year"). Pure: the same facts and style give the same text.
 */
export function explainAlert(facts: AlertFacts, style: ExplanationStyle = exactStyle): string {
  switch (facts.kind) {
    case 'aberration': {
      const head = `${style.count(facts.observed)} ${outcomeWords} in ${facts.period}`
      const model =
        facts.expected !== null &&
        facts.upperbound !== null &&
        style.figuresShown &&
        style.derivedShown([], facts.population)
          ? ` against ${oneDecimal(facts.expected)} expected, threshold ${oneDecimal(facts.upperbound)} from ${facts.baseline_from}–${facts.baseline_to}`
          : `, above what the same quarters of ${facts.baseline_from}–${facts.baseline_to} make plausible`
      return head + model + predictorClause(facts.predictor, style)
    }
    case 'yoy_rise': {
      if (!style.figuresShown) {
        return `the rate of ${outcomeWords} in the four quarters to ${facts.period} rose significantly against the year before (Benjamini-Hochberg at q ${facts.q})`
      }
      const head = `${style.count(facts.count)} ${outcomeWords} in the four quarters to ${facts.period} against ${style.count(facts.count_prev_year)} the year before`
      const base = Math.min(facts.population, facts.population_prev_year) / 4
      const detail =
        style.derivedShown([facts.count, facts.count_prev_year], base) &&
        facts.relative_change !== null
          ? `: rate ${ratePercent(facts.rate)} against ${ratePercent(facts.rate_prev_year)}, up ${percent(facts.relative_change)} year over year (p ${pValue(facts.p_value)}${facts.p_adjusted === null ? '' : `, adjusted ${pValue(facts.p_adjusted)} at q ${facts.q}`})`
          : ', a significant rise year over year'
      return head + detail + predictorClause(facts.predictor, style)
    }
    case 'trend': {
      if (!style.figuresShown) {
        return `rising trend in the quarterly rate of ${outcomeWords} ${facts.from_period}–${facts.period} (seasonal Mann-Kendall)`
      }
      const slope = style.derivedShown([facts.count], facts.population / 4)
        ? `, ${facts.slope_per_year >= 0 ? '+' : ''}${(facts.slope_per_year * 100).toFixed(2)} percentage points a year`
        : ''
      return (
        `rising trend in the quarterly rate of ${outcomeWords} ${facts.from_period}–${facts.period} ` +
        `(seasonal Mann-Kendall z = ${facts.z.toFixed(2)}, p ${pValue(facts.p)})` +
        slope +
        predictorClause(facts.predictor, style)
      )
    }
    case 'risk_percentile': {
      const where = facts.scope === 'national' ? 'nationally' : `in ${facts.scope}`
      if (!style.figuresShown) {
        const ahead = facts.horizon_quarters > 0 ? ` ${facts.horizon_quarters} quarters ahead` : ''
        return `risk${ahead} in ${facts.period} in the top ${facts.p}% ${where}`
      }
      const risk = style.derivedShown([], facts.population / 4)
        ? `risk ${ratePercent(facts.risk)} in ${facts.period}`
        : `risk in ${facts.period}`
      const horizon =
        facts.horizon_quarters > 0 ? ` (${facts.horizon_quarters} quarters ahead)` : ''
      return (
        `${risk}${horizon} ranks ${facts.rank} of ${facts.of} ${where}: ` +
        `percentile ${facts.percentile.toFixed(1)}, in the top ${facts.p}%` +
        predictorClause(facts.predictor, style)
      )
    }
  }
}
