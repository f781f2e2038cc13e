import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  ListOf,
  MunicipalityCodeSchema,
  Nullable,
  UuidSchema,
  paginationProperties,
} from './common.js'

export const RoleSchema = Type.Union([
  Type.Literal('viewer'),
  Type.Literal('analyst'),
  Type.Literal('admin'),
])

export const KeyCreateSchema = Type.Object(
  {
    role: RoleSchema,
    municipality: Type.Optional(MunicipalityCodeSchema),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    expires_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'optional: after this time (ISO 8601 with an offset, in the future) the key is refused like a revoked one',
      }),
    ),
  },
  { additionalProperties: false },
)
export type KeyCreate = Static<typeof KeyCreateSchema>

export const KeyCreatedSchema = Type.Object({
  id: Type.String(),
  key: Type.String({ description: 'the secret, shown only this once' }),
})

export const KeySchema = Type.Object({
  id: Type.String(),
  role: RoleSchema,
  municipality: Nullable(Type.String()),
  label: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  revoked_at: Nullable(Type.String({ format: 'date-time' })),
  expires_at: Nullable(Type.String({ format: 'date-time' })),
})
export const KeyListSchema = ListOf(KeySchema)
export const KeyListQuerySchema = Type.Object(
  { ...paginationProperties },
  { additionalProperties: false },
)
export const KeyParamsSchema = Type.Object({ id: UuidSchema })

export const AuditQuerySchema = Type.Object(
  {
    key_id: Type.Optional(UuidSchema),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    ...paginationProperties,
  },
  { additionalProperties: false },
)
export const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  key_id: Nullable(Type.String()),
  method: Type.String(),
  route: Type.String(),
  area_code: Type.Optional(Nullable(Type.String())),
  exact_read: Type.Boolean(),
})
export const AuditListSchema = ListOf(AuditEntrySchema)
