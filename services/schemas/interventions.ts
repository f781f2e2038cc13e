import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  AreaCodeSchema,
  ListOf,
  MunicipalityCodeSchema,
  Nullable,
  PeriodInputSchema,
  UuidSchema,
  paginationProperties,
} from './common.js'
import { outcomeColumn, predictors, type CountColumn } from '../../models/vocabulary/indicators.js'
import { literalUnion } from './indicator-fields.js'

/** One treated neighbourhood of an intervention as sent: quarters in any accepted spelling. */
export const InterventionAreaInputSchema = Type.Object(
  {
    area_code: AreaCodeSchema,
    start_period: PeriodInputSchema,
    end_period: Type.Optional(Nullable(PeriodInputSchema)),
  },
  { additionalProperties: false },
)
export type InterventionAreaInput = Static<typeof InterventionAreaInputSchema>

const AreasInputSchema = Type.Array(InterventionAreaInputSchema, { minItems: 1, maxItems: 1000 })

export const InterventionCreateSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
    municipality: MunicipalityCodeSchema,
    areas: AreasInputSchema,
  },
  { additionalProperties: false },
)
export type InterventionCreate = Static<typeof InterventionCreateSchema>

/** PATCH: any of name, description and areas (areas replace the whole list). */
export const InterventionUpdateSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
    areas: Type.Optional(AreasInputSchema),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type InterventionUpdate = Static<typeof InterventionUpdateSchema>

export const InterventionAreaSchema = Type.Object({
  area_code: Type.String(),
  start_period: Type.String(),
  end_period: Nullable(Type.String()),
})
export type InterventionArea = Static<typeof InterventionAreaSchema>

export const InterventionSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  municipality: Type.String(),
  created_by: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  areas: Type.Array(InterventionAreaSchema),
})
export type Intervention = Static<typeof InterventionSchema>

export const InterventionListSchema = ListOf(InterventionSchema)
export const InterventionListQuerySchema = Type.Object(
  { municipality: Type.Optional(MunicipalityCodeSchema), ...paginationProperties },
  { additionalProperties: false },
)
export const InterventionParamsSchema = Type.Object({ id: UuidSchema })
export const InterventionCreatedSchema = Type.Object({ id: Type.String() })

// ---- effects ----

export const EffectMethodSchema = Type.Union([
  Type.Literal('synthetic_control'),
  Type.Literal('did'),
])
export type EffectMethod = Static<typeof EffectMethodSchema>

/** The counts an effect can be estimated on: the outcome first (the default), then the predictors. */
const effectOutcomes: CountColumn[] = [outcomeColumn, ...predictors.map((entry) => entry.column)]

export const OutcomeSchema = literalUnion(effectOutcomes)
export type Outcome = Static<typeof OutcomeSchema>

export const EffectsQuerySchema = Type.Object(
  {
    method: Type.Optional(EffectMethodSchema),
    outcome: Type.Optional(OutcomeSchema),
    donors: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('municipality')])),
    max_donors: Type.Optional(Type.Integer({ minimum: 2, maximum: 2000 })),
  },
  { additionalProperties: false },
)
export type EffectsQuery = Static<typeof EffectsQuerySchema>

const Value = Nullable(Type.Number())

export const OverallEffectSchema = Type.Object({
  att: Value,
  ci_low: Value,
  ci_high: Value,
  p_value: Value,
  suppressed: Type.Optional(Type.Array(Type.String())),
})

export const AreaEffectSchema = Type.Object({
  area_code: Type.String(),
  start_period: Type.String(),
  att: Value,
  p_value: Value,
  pre_rmspe: Value,
  post_rmspe: Value,
  donors: Type.Array(Type.Object({ area_code: Type.String(), weight: Type.Number() })),
  series: Type.Optional(
    Type.Array(
      Type.Object({
        period: Type.String(),
        observed: Value,
        synthetic: Value,
      }),
    ),
  ),
  suppressed: Type.Optional(Type.Array(Type.String())),
})
export type AreaEffect = Static<typeof AreaEffectSchema>

export const EventTimeEffectSchema = Type.Object({
  event_time: Type.Integer(),
  att: Value,
  ci_low: Value,
  ci_high: Value,
  suppressed: Type.Optional(Type.Array(Type.String())),
})

export const EffectsSchema = Type.Object({
  intervention_id: Type.String(),
  method: EffectMethodSchema,
  outcome: OutcomeSchema,
  overall: OverallEffectSchema,
  by_area: Type.Array(AreaEffectSchema),
  event_study: Type.Array(EventTimeEffectSchema),
  n_donors: Type.Integer(),
  n_pre_periods: Type.Integer(),
  n_treated: Type.Integer(),
  period_from: Type.String(),
  period_to: Type.String(),
  warnings: Type.Array(Type.String()),
  data_version: Type.String(),
  computed_at: Type.String({ format: 'date-time' }),
})
export type Effects = Static<typeof EffectsSchema>

// ---- power ----

export const PowerRequestSchema = Type.Object(
  {
    areas: Type.Array(AreaCodeSchema, { minItems: 1, maxItems: 1000, uniqueItems: true }),
    start_period: PeriodInputSchema,
    horizon_quarters: Type.Integer({ minimum: 1, maximum: 20 }),
    effect: Type.Optional(
      Type.Number({
        minimum: -1,
        maximum: 10,
        description: 'relative change of the rate to evaluate, e.g. -0.2 for a 20% fall',
      }),
    ),
    outcome: Type.Optional(OutcomeSchema),
    donors: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('municipality')])),
  },
  { additionalProperties: false },
)
export type PowerRequest = Static<typeof PowerRequestSchema>

export const PowerResultSchema = Type.Object({
  mde_relative: Value,
  mde_absolute: Value,
  baseline_rate: Value,
  power_at_effect: Value,
  effect: Value,
  alpha: Type.Number(),
  target_power: Type.Number(),
  n_areas: Type.Integer(),
  n_donors: Type.Integer(),
  n_windows: Type.Integer(),
  pre_quarters: Type.Integer(),
  horizon_quarters: Type.Integer(),
  history_from: Type.String(),
  history_to: Type.String(),
  seed: Type.Integer(),
  curve: Type.Array(Type.Object({ relative_effect: Type.Number(), power: Type.Number() })),
  warnings: Type.Array(Type.String()),
})
export type PowerResult = Static<typeof PowerResultSchema>
