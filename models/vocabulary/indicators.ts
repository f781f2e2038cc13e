/**
 * The indicator vocabulary of a snapshot (DESIGN.md §1): the one declaration of the columns a
 * quarter of an area carries, what each is for and the names derived from it. Everything else —
 * SQL select lists, staging tables, row types, API schemas, disclosure specs, the risk model's
 * terms, the monitors' predictors — is derived from {@link indicatorVocabulary}, so adding a
 * column is one entry here plus a migration (test/models/vocabulary/indicators.test.ts builds
 * the derived lists from a vocabulary with one more column).
 *
 * Roles: the `base` is the youth population every count is a share of (a rate is count / base);
 * the `outcome` is the count the risk model predicts and the trends, alerts and effects follow;
 * `predictor`s enter the risk model as rates, each under its term name.
 */

/** One count column of a snapshot. */
export interface CountIndicator<Column extends string = string> {
  /** the column: CSV header, database column and API field */
  column: Column
  /** outcome or predictor */
  role: 'outcome' | 'predictor'
  /** the API field of its rate (count / base) */
  rate: string
  /** the risk model's term for a predictor (its rate enters the model under this name) */
  term: string | null
  /** the words an explanation uses for it */
  label: string
}

/** A vocabulary: the base column and the count columns, in the order tables and reads use. */
export interface Vocabulary<
  Base extends string = string,
  Counts extends readonly CountIndicator[] = readonly CountIndicator[],
> {
  base: Base
  counts: Counts
}

/** The snapshot vocabulary of Aanwas. */
export const indicatorVocabulary = {
  base: 'youth_population',
  counts: [
    {
      column: 'early_school_leavers',
      role: 'predictor',
      rate: 'early_school_leaving_rate',
      term: 'early_school_leaving',
      label: 'early school leaving',
    },
    {
      column: 'halt_registrations',
      role: 'predictor',
      rate: 'halt_rate',
      term: 'halt',
      label: 'HALT registrations',
    },
    {
      column: 'parental_debt',
      role: 'predictor',
      rate: 'parental_debt_rate',
      term: 'parental_debt',
      label: 'parental debt',
    },
    {
      column: 'drug_offence_suspects',
      role: 'outcome',
      rate: 'drug_offence_rate',
      term: null,
      label: 'young suspects',
    },
  ],
} as const satisfies Vocabulary

type Counts = (typeof indicatorVocabulary)['counts']
type PredictorEntry = Extract<Counts[number], { role: 'predictor' }>
type OutcomeEntry = Extract<Counts[number], { role: 'outcome' }>

/** The lists and names derived from a vocabulary. */
export function deriveVocabulary<V extends Vocabulary>(vocabulary: V) {
  const counts = vocabulary.counts
  const outcomes = counts.filter((entry) => entry.role === 'outcome')
  if (outcomes.length !== 1) {
    throw new TypeError(`deriveVocabulary requires exactly one outcome, got ${outcomes.length}`)
  }
  const predictors = counts.filter((entry) => entry.role === 'predictor')
  return {
    base: vocabulary.base,
    countColumns: counts.map((entry) => entry.column),
    /** the base first, then the counts: the values of one quarter */
    valueColumns: [vocabulary.base, ...counts.map((entry) => entry.column)],
    rateFields: counts.map((entry) => entry.rate),
    outcome: outcomes[0],
    predictors,
    /** the risk model's terms, in design column order */
    modelTerms: ['intercept', ...predictors.map((entry) => entry.term as string)],
    /** a SQL select list of the value columns (optionally of a table alias) */
    selectList: (alias?: string) =>
      [vocabulary.base, ...counts.map((entry) => entry.column)]
        .map((column) => (alias ? `${alias}.${column}` : column))
        .join(', '),
  }
}

const derived = deriveVocabulary(indicatorVocabulary)

/** The youth population: the base every rate is a share of. */
export const baseColumn = indicatorVocabulary.base
export type BaseColumn = typeof baseColumn

/** The count columns, in the order tables and reads use. */
export type CountColumn = Counts[number]['column']
export const countColumns: readonly CountColumn[] = indicatorVocabulary.counts.map(
  (entry) => entry.column,
)

/** The base, then the counts. */
export type ValueColumn = BaseColumn | CountColumn
export const valueColumns: readonly ValueColumn[] = [baseColumn, ...countColumns]

/** The outcome: the count the risk model predicts and the trends, alerts and effects follow. */
export const outcome = derived.outcome as OutcomeEntry
export const outcomeColumn: OutcomeEntry['column'] = outcome.column
export type OutcomeColumn = OutcomeEntry['column']

/** The predictors, each entering the risk model as a rate under its term. */
export const predictors = derived.predictors as readonly PredictorEntry[]
export type PredictorColumn = PredictorEntry['column']
export type PredictorTerm = PredictorEntry['term']

/** Each count's rate field. */
export type RateField = Counts[number]['rate']
export const rateFieldOf = Object.fromEntries(
  indicatorVocabulary.counts.map((entry) => [entry.column, entry.rate]),
) as { [Entry in Counts[number] as Entry['column']]: Entry['rate'] }

/** The risk model's terms, in design column order: the intercept, then each predictor's. */
export const modelTerms = derived.modelTerms as ['intercept', ...PredictorTerm[]]

/** One quarter's values of an area; a NULL count was not delivered or was suppressed at source. */
export type SnapshotValues = { [K in BaseColumn]: number } & { [K in CountColumn]: number | null }

/** A SQL select list of the value columns, e.g. `s.youth_population, s.early_school_leavers, …`. */
export const valueSelectList = derived.selectList
