import { Type } from '@fastify/type-provider-typebox'
import { LevelSchema, MunicipalityCodeSchema, Nullable } from './common.js'

export const GeometryQuerySchema = Type.Object(
  { municipality: Type.Optional(MunicipalityCodeSchema), level: Type.Optional(LevelSchema) },
  { additionalProperties: false },
)

export const GeometryUploadQuerySchema = Type.Object(
  { code_property: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
  { additionalProperties: false },
)

export const FeatureCollectionSchema = Type.Object({
  type: Type.Literal('FeatureCollection'),
  features: Type.Array(
    Type.Object({
      type: Type.Literal('Feature'),
      geometry: Type.Unknown(),
      properties: Type.Object({
        area_code: Type.String(),
        area_name: Nullable(Type.String()),
        level: LevelSchema,
      }),
    }),
  ),
})

export const GeometryImportSummarySchema = Type.Object({
  features: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
})
