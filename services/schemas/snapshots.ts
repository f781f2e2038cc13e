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
  ignored_columns: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'with ?columns=: the headers the mapping left out, as the upload spells them; never stored',
    }),
  ),
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

/**
 * The query of `POST /v1/snapshots`, for the OpenAPI document: the route reads it by hand
 * (`routes/v1/snapshots/upload-parameters.ts`), since its validator is off for the body.
 */
export const SnapshotUploadQuerySchema = Type.Object(
  {
    columns: Type.Optional(
      Type.String({
        description:
          'Column mapping: a built-in profile (kwb) or a URL-encoded JSON object of source ' +
          'header → snapshot column, e.g. {"Codering_3":"area_code","Perioden":"period"}. ' +
          'Headers are matched ignoring case; a header the mapping leaves out and that is not a ' +
          'snapshot column is ignored and listed in ignored_columns. A target that is not a ' +
          'snapshot column, or two sources for one target, is a 400.',
      }),
    ),
    charset: Type.Optional(
      Type.Union([Type.Literal('utf-8'), Type.Literal('windows-1252')], {
        description:
          "The CSV's character set, default utf-8. windows-1252 decodes a file saved by Excel as " +
          '"CSV (comma delimited)"; JSON is always UTF-8.',
      }),
    ),
  },
  { additionalProperties: false },
)

/** Documentation of a JSON upload row; the route validates by hand (no coercion, no stripping). */
export const SnapshotUploadRowSchema = Type.Object({
  area_code: Type.String(),
  area_name: Type.Optional(Nullable(Type.String())),
  period: Type.String(),
  [baseColumn]: Type.Union([Type.Integer(), Type.String()]),
  ...propertiesOf(countColumns, Type.Union([Type.Integer(), Type.String(), Type.Null()])),
})
