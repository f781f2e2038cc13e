import { Type } from '@fastify/type-provider-typebox'
import { ListOf, Nullable, UuidSchema, paginationProperties } from './common.js'

export const WebhookCreateSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }),
    secret: Type.String({ minLength: 16, maxLength: 500 }),
  },
  { additionalProperties: false },
)
export const WebhookCreatedSchema = Type.Object({ id: Type.String() })
export const WebhookSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
})
export const WebhookListSchema = ListOf(WebhookSchema)
export const WebhookListQuerySchema = Type.Object(
  { ...paginationProperties },
  { additionalProperties: false },
)
export const WebhookParamsSchema = Type.Object({ id: UuidSchema })
export const DeliveryListQuerySchema = Type.Object(
  { event_id: Type.Optional(UuidSchema), ...paginationProperties },
  { additionalProperties: false },
)
export const DeliverySchema = Type.Object({
  event_id: Type.String(),
  attempt: Type.Integer(),
  attempted_at: Type.String({ format: 'date-time' }),
  status_code: Nullable(Type.Integer()),
  delivered: Type.Boolean(),
  error: Nullable(Type.String()),
  duration_ms: Type.Integer(),
})
export const DeliveryListSchema = ListOf(DeliverySchema)
