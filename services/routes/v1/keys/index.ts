import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { badRequest, notFound } from '../../../errors.js'
import { errorResponses } from '../../../schemas/common.js'
import { timeParameter } from '../../parameters.js'
import {
  KeyCreateSchema,
  KeyCreatedSchema,
  KeyListQuerySchema,
  KeyListSchema,
  KeyParamsSchema,
} from '../../../schemas/keys.js'

/** API keys: admin only. The secret is returned once and stored only as an HMAC. */
const keyRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { keysRepository } = fastify
  const adminOnly = fastify.requireRole('admin')

  fastify.post(
    '/keys',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['keys'],
        summary: 'Create an API key (admin); the key is shown only in this answer',
        body: KeyCreateSchema,
        response: { 201: KeyCreatedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { role, municipality, label } = request.body
      if (role === 'admin' && municipality) {
        throw badRequest('admin keys have no municipality scope: leave municipality out')
      }
      const expiresAt = timeParameter('expires_at', request.body.expires_at) ?? null
      if (expiresAt && expiresAt.getTime() <= Date.now()) {
        throw badRequest(`expires_at ${request.body.expires_at} is not in the future`)
      }
      const id = randomUUID()
      const key = fastify.newApiKeySecret()
      await keysRepository.insert({
        id,
        key_hash: fastify.hashApiKey(key),
        role,
        municipality: municipality ?? null,
        label: label ?? null,
        expires_at: expiresAt,
      })
      return reply.code(201).send({ id, key })
    },
  )

  fastify.get(
    '/keys/me',
    {
      schema: {
        tags: ['keys'],
        summary: 'The calling key: its role and municipality scope (any role), never its secret',
        response: {
          200: Type.Object({
            id: Type.String(),
            role: Type.String(),
            municipality: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const caller = request.caller!
      return { id: caller.keyId, role: caller.role, municipality: caller.municipality }
    },
  )

  fastify.get(
    '/keys',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['keys'],
        summary: 'List API keys (admin), never their secrets',
        querystring: KeyListQuerySchema,
        response: { 200: KeyListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { items, total } = await keysRepository.list(request.query)
      return {
        items: items.map((key) => ({
          id: key.id,
          role: key.role,
          municipality: key.municipality,
          label: key.label,
          created_at: new Date(key.created_at).toISOString(),
          revoked_at: key.revoked_at ? new Date(key.revoked_at).toISOString() : null,
          expires_at: key.expires_at ? new Date(key.expires_at).toISOString() : null,
        })),
        total,
      }
    },
  )

  fastify.delete(
    '/keys/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['keys'],
        summary: 'Revoke an API key (admin); effective at once here, within 5 s on other instances',
        params: KeyParamsSchema,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await keysRepository.revoke(request.params.id))) {
        if (!(await keysRepository.exists(request.params.id)))
          throw notFound(`no API key ${request.params.id}`)
      }
      fastify.forgetVerifiedKeys()
      return reply.code(204).send(null)
    },
  )
}

export default keyRoutes
