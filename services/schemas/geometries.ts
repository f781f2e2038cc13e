import { Type } from '@fastify/type-provider-typebox'
import { LevelSchema, MunicipalityCodeSchema, Nullable } from './common.js'

export const GeometryQuerySchema = Type.Object(
  { municipality: Type.Optional(MunicipalityCodeSchema), level: Type.Optional(LevelSchema) },
  { additionalProperties: false },
)

export const GeometryUploadQuerySchema = Type.Object(
  {
    code_property: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'the feature property holding the CBS code; overrides the built-in list',
      }),
    ),
    skip_invalid: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'leave out features whose geometry is empty or collapsed (a Point or line, or a polygon ' +
          'of zero area) and list them under `skipped`, instead of rejecting the file',
      }),
    ),
  },
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

export const SkippedFeatureSchema = Type.Object({
  row: Type.Integer({ minimum: 1, description: "the feature's position in the file, from 1" }),
  area_code: Nullable(Type.String()),
  rule: Type.Union(
    [Type.Literal('abroad'), Type.Literal('empty_geometry'), Type.Literal('collapsed_geometry')],
    {
      description:
        'abroad: GM0998 "Buitenland", never an area; empty_geometry / collapsed_geometry: left ' +
        'out because skip_invalid=true',
    },
  ),
  reason: Type.String(),
})

export const GeometryImportSummarySchema = Type.Object({
  features: Type.Integer({ description: 'features stored' }),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  skipped: Type.Optional(
    Type.Array(SkippedFeatureSchema, {
      description: 'features left out, present when there are any',
    }),
  ),
  reprojected_from: Type.Optional(
    Type.Literal('EPSG:28992', {
      description:
        'present when the file was in RD New (declared or recognised by its coordinates) and was ' +
        'reprojected to WGS84 for storage',
    }),
  ),
})
