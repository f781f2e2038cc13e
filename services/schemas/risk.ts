import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  ListOf,
  MunicipalityCodeSchema,
  Nullable,
  PeriodInputSchema,
  UuidSchema,
  paginationProperties,
} from './common.js'
import { baseColumn } from '../../models/vocabulary/indicators.js'

export const RunCreateSchema = Type.Object(
  {
    horizon_quarters: Type.Optional(Type.Integer({ minimum: 0, maximum: 40, default: 0 })),
    from: Type.Optional(PeriodInputSchema),
    to: Type.Optional(PeriodInputSchema),
  },
  { additionalProperties: false },
)

export const RunAcceptedSchema = Type.Object({ run_id: Type.String() })

const CoefficientSchema = Type.Object({
  term: Type.String(),
  estimate: Type.Number(),
  std_error: Type.Number(),
  z: Type.Number(),
  p_value: Type.Number(),
  odds_ratio: Type.Number(),
  ci_low: Type.Number(),
  ci_high: Type.Number(),
})

const QualitySchema = Type.Object({
  brier: Type.Number(),
  calibration: Type.Array(
    Type.Object({
      decile: Type.Integer(),
      n_rows: Type.Integer(),
      // a count: null and listed in `suppressed` for a viewer when below AANWAS_MIN_CELL
      observed: Nullable(Type.Number()),
      expected: Type.Number(),
      suppressed: Type.Optional(Type.Array(Type.String())),
    }),
  ),
  cv_deviance: Nullable(Type.Number()),
  cv_folds: Type.Integer(),
  cv_seed: Type.Integer(),
})

export const RunSchema = Type.Object({
  id: Type.String(),
  status: Type.Union([
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('succeeded'),
    Type.Literal('failed'),
  ]),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  backend: Nullable(Type.String()),
  horizon_quarters: Type.Integer(),
  from: Nullable(Type.String()),
  to: Nullable(Type.String()),
  n_rows: Nullable(Type.Integer()),
  n_excluded: Nullable(Type.Integer()),
  iterations: Nullable(Type.Integer()),
  converged: Nullable(Type.Boolean()),
  deviance: Nullable(Type.Number()),
  null_deviance: Nullable(Type.Number()),
  aic: Nullable(Type.Number()),
  coefficients: Nullable(Type.Array(CoefficientSchema)),
  quality: Nullable(QualitySchema),
  data_from: Nullable(Type.String()),
  data_to: Nullable(Type.String()),
  fit_ms: Nullable(Type.Integer()),
  scores_kept: Type.Boolean(),
  published: Type.Boolean({
    description:
      'published runs are what GET /v1/risk serves; runs an analyst starts are previews until an admin publishes one',
  }),
  published_at: Nullable(Type.String({ format: 'date-time' })),
  created_at: Type.String({ format: 'date-time' }),
  started_at: Nullable(Type.String({ format: 'date-time' })),
  finished_at: Nullable(Type.String({ format: 'date-time' })),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
})
export type Run = Static<typeof RunSchema>
export const RunListSchema = ListOf(RunSchema)
export const RunListQuerySchema = Type.Object(
  {
    status: Type.Optional(
      Type.Union([
        Type.Literal('queued'),
        Type.Literal('running'),
        Type.Literal('succeeded'),
        Type.Literal('failed'),
      ]),
    ),
    horizon_quarters: Type.Optional(Type.Integer({ minimum: 0, maximum: 40 })),
    ...paginationProperties,
  },
  { additionalProperties: false },
)
export const RunParamsSchema = Type.Object({ id: UuidSchema })

export const RiskQuerySchema = Type.Object(
  {
    run_id: Type.Optional(
      Type.String({
        format: 'uuid',
        description: "a run's own scores (a preview, say); default: the latest published run",
      }),
    ),
    period: Type.Optional(PeriodInputSchema),
    municipality: Type.Optional(MunicipalityCodeSchema),
    horizon_quarters: Type.Optional(Type.Integer({ minimum: 0, maximum: 40, default: 0 })),
    ...paginationProperties,
  },
  { additionalProperties: false },
)

export const RiskItemSchema = Type.Object({
  area_code: Type.String(),
  area_name: Nullable(Type.String()),
  period: Type.String(),
  target_period: Type.String(),
  [baseColumn]: Nullable(Type.Integer()),
  risk: Nullable(Type.Number()),
  risk_ci_low: Nullable(Type.Number()),
  risk_ci_high: Nullable(Type.Number()),
  expected: Nullable(Type.Number()),
  observed: Nullable(Type.Integer()),
  standardized_ratio: Nullable(Type.Number()),
  ratio_ci_low: Nullable(Type.Number()),
  ratio_ci_high: Nullable(Type.Number()),
  // null only for a viewer when the rounded table leaves the area without a risk (a rounded
  // youth population of 0)
  percentile: Nullable(Type.Number()),
  rank: Nullable(Type.Integer()),
  percentile_national: Nullable(Type.Number()),
  rank_national: Nullable(Type.Integer()),
  suppressed: Type.Optional(Type.Array(Type.String())),
  unreliable: Type.Optional(Type.Boolean()),
})
export type RiskItem = Static<typeof RiskItemSchema>
export const RiskListSchema = Type.Object({
  run_id: Type.String(),
  backend: Nullable(Type.String()),
  horizon_quarters: Type.Integer(),
  period: Type.String(),
  items: Type.Array(RiskItemSchema),
  total: Type.Integer(),
})
