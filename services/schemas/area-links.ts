import { Type, type Static } from '@fastify/type-provider-typebox'
import { AreaCodeSchema, ListOf, paginationProperties } from './common.js'

/** Links between CBS divisions (issue 16): the share of an area's counts that a later area holds. */
export const AreaLinkSchema = Type.Object({
  from_year: Type.Integer({ description: 'the CBS division (year) of from_code' }),
  from_code: Type.String(),
  to_year: Type.Integer({ description: 'the later division of to_code' }),
  to_code: Type.String(),
  weight: Type.Number({ description: "the share of from_code's counts that belongs to to_code" }),
  source: Type.Union([Type.Literal('upload'), Type.Literal('geometry_overlap')]),
  created_at: Type.String({ format: 'date-time' }),
})
export type AreaLinkResource = Static<typeof AreaLinkSchema>

export const AreaLinkListSchema = ListOf(AreaLinkSchema)

export const AreaLinkListQuerySchema = Type.Object(
  {
    code: Type.Optional(AreaCodeSchema),
    year: Type.Optional(Type.Integer({ minimum: 1990, maximum: 2100 })),
    ...paginationProperties,
  },
  { additionalProperties: false },
)

/** One row of a JSON upload (the rules are checked by hand, as for CSV). */
export const AreaLinkUploadRowSchema = Type.Object({
  from_year: Type.Union([Type.Integer(), Type.String()]),
  from_code: Type.String(),
  to_year: Type.Union([Type.Integer(), Type.String()]),
  to_code: Type.String(),
  weight: Type.Union([Type.Number(), Type.String()]),
})

export const AreaLinksSummarySchema = Type.Object({
  stored: Type.Integer(),
  replaced: Type.Integer({ description: 'earlier links of the same areas that were replaced' }),
  areas: Type.Integer({ description: '(from_year, from_code) areas given' }),
})
