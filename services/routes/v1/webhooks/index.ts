import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { webhookFailureTexts } from '../../../../monitors/webhook-delivery.js'
import { vetWebhookTarget, WebhookTargetRefusal } from '../../../domain/webhook-target.js'
import { badRequest, notFound } from '../../../errors.js'
import { errorResponses } from '../../../schemas/common.js'
import {
  DeliveryListQuerySchema,
  DeliveryListSchema,
  WebhookCreateSchema,
  WebhookCreatedSchema,
  WebhookListQuerySchema,
  WebhookListSchema,
  WebhookParamsSchema,
} from '../../../schemas/webhooks.js'

/**
 * Webhook endpoints (admin only). Every alert event is POSTed to each endpoint alone, signed
 * with its secret (DESIGN.md §3); the secret is never answered back. Only public http(s)
 * targets are registered (services/domain/webhook-target.ts; checked again at each delivery).
 */
const webhookRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { webhooksRepository, config } = fastify
  const adminOnly = fastify.requireRole('admin')

  fastify.post(
    '/webhooks',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['webhooks'],
        summary: 'Register an endpoint for alert events (admin); public http(s) targets only',
        body: WebhookCreateSchema,
        response: { 201: WebhookCreatedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      try {
        await vetWebhookTarget(request.body.url, { allowPrivate: config.webhookAllowPrivate })
      } catch (error) {
        if (error instanceof WebhookTargetRefusal) throw badRequest(error.message)
        throw error
      }
      const id = randomUUID()
      await webhooksRepository.insert({
        id,
        url: request.body.url,
        secret: request.body.secret,
        created_by: request.caller?.keyId ?? null,
      })
      return reply.code(201).send({ id })
    },
  )

  fastify.get(
    '/webhooks',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['webhooks'],
        summary: 'Registered endpoints (admin), without their secrets',
        querystring: WebhookListQuerySchema,
        response: { 200: WebhookListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { items, total } = await webhooksRepository.list(request.query)
      return {
        items: items.map((webhook) => ({
          id: webhook.id,
          url: webhook.url,
          created_at: new Date(webhook.created_at).toISOString(),
        })),
        total,
      }
    },
  )

  fastify.get(
    '/webhooks/:id/deliveries',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['webhooks'],
        summary: "An endpoint's delivery log, newest attempt first (admin)",
        params: WebhookParamsSchema,
        querystring: DeliveryListQuerySchema,
        response: { 200: DeliveryListSchema, ...errorResponses },
      },
    },
    async (request) => {
      if (!(await webhooksRepository.exists(request.params.id)))
        throw notFound(`no webhook ${request.params.id}`)
      const { items, total } = await webhooksRepository.deliveries(request.params.id, request.query)
      return {
        items: items.map((delivery) => ({
          event_id: delivery.event_id,
          attempt: delivery.attempt,
          attempted_at: new Date(delivery.attempted_at).toISOString(),
          status_code: delivery.status_code,
          delivered: delivery.delivered,
          failure: delivery.failure,
          error: delivery.failure === null ? null : webhookFailureTexts[delivery.failure],
        })),
        total,
      }
    },
  )

  fastify.delete(
    '/webhooks/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['webhooks'],
        summary: 'Remove an endpoint with its pending events and delivery log (admin)',
        params: WebhookParamsSchema,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await webhooksRepository.delete(request.params.id)))
        throw notFound(`no webhook ${request.params.id}`)
      return reply.code(204).send(null)
    },
  )
}

export default webhookRoutes
