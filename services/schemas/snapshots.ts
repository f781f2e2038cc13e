import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  ListOf,
  Nullable,
  paginationProperties,
  PeriodInputSchema,
  RowErrorSchema,
  NullableCountSchema,
  NullableRateSchema,
} from './common.js'
import { propertiesOf, rateFields } from './indicator-fields.js'
import { baseColumn, countColumns } from '../../models/vocabulary/indicators.js'

const Count = NullableCountSchema
const Rate = NullableRateSchema

/** One snapshot as read back (DESIGN.md §3 "Resource shapes"). */
export const SnapshotSchema = Type.Object({
  period: Type.String(),
  [baseColumn]: Nullable(Type.Integer({ minimum: 0 })),
  ...propertiesOf(countColumns, Count),
  ...propertiesOf(rateFields, Rate),
  batch_id: Type.String(),
  recorded_at: Type.String({ format: 'date-time' }),
  suppressed: Type.Optional(Type.Array(Type.String())),
  unreliable: Type.Optional(Type.Boolean()),
})
export type Snapshot = Static<typeof SnapshotSchema>

export const SnapshotListSchema = ListOf(SnapshotSchema)

export const SnapshotHistoryQuerySchema = Type.Object(
  {
    from: Type.Optional(PeriodInputSchema),
    to: Type.Optional(PeriodInputSchema),
    as_of: Type.Optional(
      Type.String({ description: 'ISO 8601 time with offset, e.g. 2025-01-01T00:00:00+01:00' }),
    ),
    ...paginationProperties,
  },
  { additionalProperties: false },
)

export const UploadSummarySchema = Type.Object({
  batch_id: Type.String(),
  rows: Type.Integer(),
  inserted: Type.Integer(),
  revised: Type.Integer(),
  unchanged: Type.Integer(),
})
export type UploadSummary = Static<typeof UploadSummarySchema>

/** The 422 (and 403 out_of_scope) body of a rejected upload. */
export const UploadRejectionSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Object({ total: Type.Integer(), errors: Type.Array(RowErrorSchema) }),
  }),
})

/** Documentation of a JSON upload row; the route validates by hand (no coercion, no stripping). */
export const SnapshotUploadRowSchema = Type.Object({
  area_code: Type.String(),
  area_name: Type.Optional(Nullable(Type.String())),
  period: Type.String(),
  [baseColumn]: Type.Union([Type.Integer(), Type.String()]),
  ...propertiesOf(countColumns, Type.Union([Type.Integer(), Type.String(), Type.Null()])),
})
