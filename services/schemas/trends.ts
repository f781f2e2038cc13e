import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  ListOf,
  MunicipalityCodeSchema,
  Nullable,
  paginationProperties,
  PeriodInputSchema,
  NullableCountSchema,
  NullableRateSchema,
} from './common.js'
import { predictorTerms, propertiesOf, rateFields } from './indicator-fields.js'
import { baseColumn, countColumns, outcomeColumn } from '../../models/vocabulary/indicators.js'

const Count = NullableCountSchema
const Rate = NullableRateSchema
const Change = Nullable(Type.Number())
const PValue = Nullable(Type.Number({ minimum: 0, maximum: 1 }))

/** The youth population of the year before (a 4-quarter sum, as the year's own). */
const basePrevYear = `${baseColumn}_prev_year` as const

/** Disclosure marks carried by every object with values (DESIGN.md §5). */
const marks = {
  suppressed: Type.Optional(
    Type.Array(Type.String(), {
      description: "viewer keys: this object's fields withheld by disclosure control",
    }),
  ),
  unreliable: Type.Optional(
    Type.Boolean({ description: 'analyst and admin keys: a rate here has a base below 50' }),
  ),
}

export const TrendQuerySchema = Type.Object(
  {
    from: Type.Optional(PeriodInputSchema),
    to: Type.Optional(PeriodInputSchema),
  },
  { additionalProperties: false },
)

export const SeriesEntrySchema = Type.Object({
  period: Type.String(),
  [baseColumn]: Nullable(Type.Integer({ minimum: 0 })),
  ...propertiesOf(countColumns, Count),
  ...propertiesOf(rateFields, Rate),
  risk: Nullable(
    Type.Number({
      minimum: 0,
      maximum: 1,
      description: `latest successful horizon-0 run; an aggregate's is Σ risk·${baseColumn} / Σ ${baseColumn}`,
    }),
  ),
  ...marks,
})

export const PredictorChangeSchema = Type.Object({
  rate: Rate,
  rate_prev_year: Rate,
  change: Change,
  p_value: PValue,
  count: Count,
  count_prev_year: Count,
  ...marks,
})

export const YearOverYearSchema = Type.Object({
  period: Type.String({ description: 'the last quarter of the 4-quarter window' }),
  rate: Rate,
  rate_prev_year: Rate,
  change: Change,
  relative_change: Change,
  p_value: PValue,
  count: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: `Σ ${outcomeColumn} over the four quarters`,
  }),
  count_prev_year: Count,
  [baseColumn]: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: `Σ ${baseColumn} over the four quarters (person-quarters)`,
  }),
  [basePrevYear]: Count,
  predictors: Type.Object(propertiesOf(predictorTerms, PredictorChangeSchema)),
  ...marks,
})

export const TrendTestSchema = Type.Object({
  trend: Type.Union([
    Type.Literal('increasing'),
    Type.Literal('decreasing'),
    Type.Literal('no trend'),
  ]),
  p: Type.Number(),
  z: Type.Number(),
  tau: Type.Number(),
  s: Type.Number(),
  var_s: Type.Number(),
  slope: Nullable(
    Type.Number({
      description: 'Sen slope: per quarter (original test), per year (seasonal test)',
    }),
  ),
  slope_per_year: Nullable(Type.Number()),
  intercept: Nullable(Type.Number()),
  ...marks,
})
export type TrendTestResponse = Static<typeof TrendTestSchema>

export const AreaTrendSchema = Type.Object({
  area_code: Type.String(),
  aggregated: Type.Boolean({
    description: 'true: the sum over the neighbourhoods (the area has no rows of its own)',
  }),
  series: Type.Array(SeriesEntrySchema),
  year_over_year: Type.Array(YearOverYearSchema),
  mann_kendall: Nullable(TrendTestSchema),
  seasonal_mann_kendall: Nullable(TrendTestSchema),
})
export type AreaTrendResponse = Static<typeof AreaTrendSchema>

export const TrendListQuerySchema = Type.Object(
  {
    municipality: Type.Optional(MunicipalityCodeSchema),
    period: Type.Optional(PeriodInputSchema),
    sort: Type.Union([Type.Literal('change'), Type.Literal('p_value')], { default: 'change' }),
    ...paginationProperties,
  },
  { additionalProperties: false },
)

export const TrendListItemSchema = Type.Object({
  area_code: Type.String(),
  area_name: Nullable(Type.String()),
  period: Type.String(),
  rate: Rate,
  rate_prev_year: Rate,
  change: Change,
  relative_change: Change,
  p_value: PValue,
  p_adjusted: PValue,
  count: Count,
  count_prev_year: Count,
  [baseColumn]: Count,
  [basePrevYear]: Count,
  mann_kendall: Nullable(TrendTestSchema),
  ...marks,
})
export type TrendListItem = Static<typeof TrendListItemSchema>

export const TrendListSchema = ListOf(TrendListItemSchema)
