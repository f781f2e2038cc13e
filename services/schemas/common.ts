import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox'
import {
  areaCodeForms,
  areaCodePatternSource,
  municipalityCodePatternSource,
} from '../../models/vocabulary/area-codes.js'

/** Shared primitives of the API (DESIGN.md §3). */
export const AreaCodeSchema = Type.String({
  pattern: areaCodePatternSource,
  description: `CBS code: ${areaCodeForms}`,
  examples: ['BU05180101', 'BU0363AF09'],
})
export const MunicipalityCodeSchema = Type.String({
  pattern: municipalityCodePatternSource,
  examples: ['GM0518'],
})
export const PeriodSchema = Type.String({ pattern: '^\\d{4}Q[1-4]$', examples: ['2024Q3'] })
/** A quarter as input: 2024Q3, 2024-Q3, 2024 Q3, 2024KW03 (checked by the route). */
export const PeriodInputSchema = Type.String({ maxLength: 16, examples: ['2024Q3'] })
export const UuidSchema = Type.String({ format: 'uuid' })
export const LevelSchema = Type.Union([
  Type.Literal('municipality'),
  Type.Literal('district'),
  Type.Literal('neighbourhood'),
])

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/**
 * `limit` (default 1000, at most 10000), `offset` and `format` (json or csv, see
 * services/plugins/app/csv-export.ts): spread into a list route's querystring.
 */
export const paginationProperties = {
  limit: Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
  format: Type.Optional(
    Type.Union([Type.Literal('json'), Type.Literal('csv')], {
      description:
        'csv: the same items as CSV (comma-separated, formula cells escaped), total in X-Total-Count',
    }),
  ),
}

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error', description: 'Every error: a stable code, a message, optional details' },
)
export type ErrorBody = Static<typeof ErrorSchema>

export const RowErrorSchema = Type.Object({
  row: Type.Integer(),
  column: Nullable(Type.String()),
  message: Type.String(),
})

/** A list envelope: `{items, total}`, total counting every match. */
export const ListOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer() })

/** Error responses every authenticated route can send. */
export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  429: ErrorSchema,
  500: ErrorSchema,
  503: ErrorSchema,
}

/** A count that may be NULL (not delivered, or suppressed for a viewer). */
export const NullableCountSchema = Nullable(Type.Integer({ minimum: 0 }))
/** A rate per young person (a proportion 0–1) that may be NULL. */
export const NullableRateSchema = Nullable(Type.Number({ minimum: 0, maximum: 1 }))
