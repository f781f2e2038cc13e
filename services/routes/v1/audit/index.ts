import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../../schemas/common.js'
import { AuditListSchema, AuditQuerySchema } from '../../../schemas/keys.js'

const auditRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/audit',
    {
      preHandler: fastify.requireRole('admin'),
      schema: {
        tags: ['audit'],
        summary: 'Audit entries (admin): every write and every read of exact values, newest first',
        querystring: AuditQuerySchema,
        response: { 200: AuditListSchema, ...errorResponses },
      },
    },
    async (request) => {
      await fastify.flushAudit()
      const { key_id, from, to, limit, offset } = request.query
      const { items, total } = await fastify.auditRepository.list({
        keyId: key_id,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
        limit,
        offset,
      })
      return {
        items: items.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })),
        total,
      }
    },
  )
}

export default auditRoutes
