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
/**
 * Why an attempt failed (the classes of `webhookFailures` in monitors/webhook-delivery.ts); null
 * when it was delivered (a 2xx answer).
 */
export const DeliveryFailureSchema = Nullable(
  Type.Union([
    Type.Literal('address_refused'),
    Type.Literal('dns_failed'),
    Type.Literal('connection_failed'),
    Type.Literal('timeout'),
    Type.Literal('tls_failed'),
    Type.Literal('http_status'),
  ]),
)
/**
 * One attempt. No duration and no raw socket error: both would turn the log into a port-probe
 * oracle (issue 14, finding 9); `failure` is a class and `error` its fixed text.
 */
export const DeliverySchema = Type.Object({
  event_id: Type.String(),
  attempt: Type.Integer(),
  attempted_at: Type.String({ format: 'date-time' }),
  /** the receiver's status, only when an answer arrived */
  status_code: Nullable(Type.Integer()),
  delivered: Type.Boolean(),
  failure: DeliveryFailureSchema,
  error: Nullable(Type.String()),
})
export const DeliveryListSchema = ListOf(DeliverySchema)
