import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  AreaCodeSchema,
  ListOf,
  MunicipalityCodeSchema,
  Nullable,
  UuidSchema,
  paginationProperties,
} from './common.js'

export const AlertKindSchema = Type.Union([
  Type.Literal('risk_percentile'),
  Type.Literal('yoy_rise'),
  Type.Literal('aberration'),
  Type.Literal('trend'),
])

export const AlertStateSchema = Type.Union([
  Type.Literal('firing'),
  Type.Literal('acknowledged'),
  Type.Literal('resolved'),
])

const ParamsSchema = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'kind parameters (defaults filled in): common min_count 5, consecutive 1, clear_quarters 2; ' +
    'risk_percentile p 10, horizon_quarters 0; yoy_rise q 0.05, min_relative_rise 0.1; ' +
    'aberration alpha 0.05, b 5, w 1, weights_threshold 2.58, limit54 [5, 4]; trend alpha 0.05',
})

export const AlertRuleCreateSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    kind: AlertKindSchema,
    params: Type.Optional(ParamsSchema),
    municipality: Type.Optional(MunicipalityCodeSchema),
  },
  { additionalProperties: false },
)

export const AlertRuleUpdateSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    params: Type.Optional(ParamsSchema),
  },
  { additionalProperties: false },
)

export const AlertRuleSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: AlertKindSchema,
  params: ParamsSchema,
  municipality: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})
export type AlertRule = Static<typeof AlertRuleSchema>
export const AlertRuleListSchema = ListOf(AlertRuleSchema)
export const AlertRuleListQuerySchema = Type.Object(
  {
    kind: Type.Optional(AlertKindSchema),
    municipality: Type.Optional(MunicipalityCodeSchema),
    ...paginationProperties,
  },
  { additionalProperties: false },
)
export const IdParamsSchema = Type.Object({ id: UuidSchema })

export const AlertSchema = Type.Object({
  id: Type.String(),
  rule_id: Type.String(),
  rule_name: Type.String(),
  kind: AlertKindSchema,
  area_code: Type.String(),
  area_name: Nullable(Type.String()),
  municipality: Type.String(),
  period: Type.String({ description: 'the latest quarter the condition held in' }),
  value: Nullable(
    Type.Number({
      description:
        'aberration: the count; yoy_rise: the relative rise; trend: Mann-Kendall z; risk_percentile: the percentile',
    }),
  ),
  threshold: Nullable(Type.Number()),
  explanation: Type.String(),
  state: AlertStateSchema,
  consecutive_quarters: Type.Integer({ description: 'quarters in a row the condition held' }),
  clear_quarters: Type.Integer({ description: 'quarters in a row the condition was clear' }),
  first_fired_at: Type.String({ format: 'date-time' }),
  resolved_at: Nullable(Type.String({ format: 'date-time' })),
  acknowledged_at: Nullable(Type.String({ format: 'date-time' })),
  updated_at: Type.String({ format: 'date-time' }),
  suppressed: Type.Optional(Type.Array(Type.String())),
})
export type Alert = Static<typeof AlertSchema>
export const AlertListSchema = ListOf(AlertSchema)
export const AlertListQuerySchema = Type.Object(
  {
    state: Type.Optional(AlertStateSchema),
    kind: Type.Optional(AlertKindSchema),
    municipality: Type.Optional(MunicipalityCodeSchema),
    area: Type.Optional(AreaCodeSchema),
    rule_id: Type.Optional(UuidSchema),
    ...paginationProperties,
  },
  { additionalProperties: false },
)
