import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  AreaCodeSchema,
  LevelSchema,
  ListOf,
  MunicipalityCodeSchema,
  Nullable,
  paginationProperties,
} from './common.js'

export const AreaSchema = Type.Object({
  area_code: Type.String(),
  area_name: Nullable(Type.String()),
  level: LevelSchema,
  parent_code: Nullable(Type.String()),
})
export type Area = Static<typeof AreaSchema>

export const AreaListSchema = ListOf(AreaSchema)

export const AreaListQuerySchema = Type.Object(
  {
    municipality: Type.Optional(MunicipalityCodeSchema),
    level: Type.Optional(LevelSchema),
    parent: Type.Optional(AreaCodeSchema),
    ...paginationProperties,
  },
  { additionalProperties: false },
)

export const AreaParamsSchema = Type.Object({ code: AreaCodeSchema })
