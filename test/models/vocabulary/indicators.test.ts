import t from 'tap'
import {
  baseColumn,
  countColumns,
  deriveVocabulary,
  indicatorVocabulary,
  modelTerms,
  outcomeColumn,
  predictors,
  rateFieldOf,
  valueColumns,
  valueSelectList,
  type Vocabulary,
} from '../../../models/vocabulary/indicators.js'

t.test('the snapshot vocabulary', async (t) => {
  t.test('when read, then its lists follow DESIGN.md §1 in table order', async (t) => {
    t.equal(baseColumn, 'youth_population')
    t.same(countColumns, [
      'early_school_leavers',
      'halt_registrations',
      'parental_debt',
      'drug_offence_suspects',
    ])
    t.same(valueColumns, ['youth_population', ...countColumns])
    t.equal(outcomeColumn, 'drug_offence_suspects')
    t.same(
      predictors.map((entry) => entry.column),
      ['early_school_leavers', 'halt_registrations', 'parental_debt'],
    )
    t.same(modelTerms, ['intercept', 'early_school_leaving', 'halt', 'parental_debt'])
    t.equal(rateFieldOf.drug_offence_suspects, 'drug_offence_rate')
    t.equal(valueSelectList('s'), valueColumns.map((column) => `s.${column}`).join(', '))
  })

  t.test(
    'when a vocabulary has one more column, then every derived list carries it (a one-line change)',
    async (t) => {
      const extended = {
        base: indicatorVocabulary.base,
        counts: [
          ...indicatorVocabulary.counts,
          {
            column: 'truancy_reports',
            role: 'predictor',
            rate: 'truancy_rate',
            term: 'truancy',
            label: 'truancy',
          },
        ],
      } as const satisfies Vocabulary
      const derived = deriveVocabulary(extended)
      t.same(derived.countColumns.at(-1), 'truancy_reports')
      t.same(derived.valueColumns, [...valueColumns, 'truancy_reports'])
      t.same(derived.rateFields.at(-1), 'truancy_rate')
      t.same(derived.modelTerms, [...modelTerms, 'truancy'])
      t.match(derived.selectList('s'), /s\.truancy_reports$/)
      t.equal(derived.outcome.column, outcomeColumn, 'the outcome stays')
    },
  )

  t.test('when a vocabulary has no outcome or two, then it is refused', async (t) => {
    const noOutcome = {
      base: 'youth_population',
      counts: indicatorVocabulary.counts.filter((entry) => entry.role !== 'outcome'),
    }
    t.throws(() => deriveVocabulary(noOutcome), /exactly one outcome, got 0/)
  })
})
