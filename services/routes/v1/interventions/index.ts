import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { assertAreaInScope, listScope } from '../../scope.js'
import { badRequest, notFound } from '../../../errors.js'
import { normaliseInterventionAreas } from '../../../use-cases/intervention-areas.js'
import { interventionEffects } from '../../../use-cases/intervention-effects.js'
import { interventionPower } from '../../../use-cases/intervention-power.js'
import type { InterventionRecord } from '../../../repositories/interventions-repository.js'
import { ErrorSchema, errorResponses } from '../../../schemas/common.js'
import {
  EffectsQuerySchema,
  EffectsSchema,
  InterventionCreateSchema,
  InterventionCreatedSchema,
  InterventionListQuerySchema,
  InterventionListSchema,
  InterventionParamsSchema,
  InterventionSchema,
  InterventionUpdateSchema,
  PowerRequestSchema,
  PowerResultSchema,
  type Intervention,
} from '../../../schemas/interventions.js'
import { periodParameter } from '../../parameters.js'
import { seesExactValues } from '../../../hooks/auth.js'
import { rateLimitCosts } from '../../../plugins/rate-limit.js'
import { outcomeColumn } from '../../../../models/vocabulary/indicators.js'

function interventionResource(record: InterventionRecord): Intervention {
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    municipality: record.municipality,
    created_by: record.created_by,
    created_at: new Date(record.created_at).toISOString(),
    updated_at: new Date(record.updated_at).toISOString(),
    areas: record.areas,
  }
}

const withUnprocessable = { ...errorResponses, 422: ErrorSchema }

/**
 * Interventions and their effects (DESIGN.md §3): analysts manage their municipality's
 * interventions, everyone in scope reads them; effects are estimated by the job and disclosed
 * to viewers by its disclosure rule.
 */
const interventionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { interventionsRepository, areasRepository, config, knex } = fastify
  const writers = fastify.requireRole('analyst', 'admin')

  /** The intervention, 404 when absent, 403 when outside the caller's scope. */
  const findInScope = async (
    id: string,
    caller: Parameters<typeof assertAreaInScope>[0],
  ): Promise<InterventionRecord> => {
    const record = await interventionsRepository.find(id)
    if (!record) throw notFound(`no intervention ${id}`)
    assertAreaInScope(caller, record.municipality)
    return record
  }

  fastify.post(
    '/interventions',
    {
      preHandler: writers,
      schema: {
        tags: ['interventions'],
        summary: 'Register an intervention with its treated neighbourhoods and start quarters',
        body: InterventionCreateSchema,
        response: { 201: InterventionCreatedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, description, municipality, areas } = request.body
      assertAreaInScope(request.caller, municipality)
      const id = randomUUID()
      await knex.transaction(async (trx) => {
        const rows = await normaliseInterventionAreas(areasRepository, municipality, areas, trx)
        await interventionsRepository.insert(
          {
            id,
            name,
            description: description ?? null,
            municipality,
            created_by: request.caller?.keyId ?? null,
          },
          rows,
          trx,
        )
        await interventionsRepository.clearEffectsCache(trx)
      })
      return reply.code(201).send({ id })
    },
  )

  fastify.get(
    '/interventions',
    {
      schema: {
        tags: ['interventions'],
        summary: 'List interventions (newest first), limited to the key’s municipality',
        querystring: InterventionListQuerySchema,
        response: { 200: InterventionListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const municipality = listScope(request.caller, request.query.municipality)
      const { items, total } = await interventionsRepository.list({
        municipality,
        limit: request.query.limit,
        offset: request.query.offset,
      })
      return { items: items.map(interventionResource), total }
    },
  )

  fastify.get(
    '/interventions/:id',
    {
      schema: {
        tags: ['interventions'],
        summary: 'One intervention with its treated neighbourhoods',
        params: InterventionParamsSchema,
        response: { 200: InterventionSchema, ...errorResponses },
      },
    },
    async (request) => interventionResource(await findInScope(request.params.id, request.caller)),
  )

  fastify.patch(
    '/interventions/:id',
    {
      preHandler: writers,
      schema: {
        tags: ['interventions'],
        summary: 'Change name, description or the treated areas (areas replace the list)',
        params: InterventionParamsSchema,
        body: InterventionUpdateSchema,
        response: { 200: InterventionSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params
      const record = await findInScope(id, request.caller)
      const { name, description, areas } = request.body
      const updated = await knex.transaction(async (trx) => {
        const rows = areas
          ? await normaliseInterventionAreas(areasRepository, record.municipality, areas, trx)
          : undefined
        const changes = {
          ...(name === undefined ? {} : { name }),
          ...(description === undefined ? {} : { description }),
        }
        if (!(await interventionsRepository.update(id, changes, rows, trx))) {
          throw notFound(`no intervention ${id}`)
        }
        await interventionsRepository.clearEffectsCache(trx)
        return interventionsRepository.find(id, trx)
      })
      return interventionResource(updated!)
    },
  )

  fastify.delete(
    '/interventions/:id',
    {
      preHandler: writers,
      schema: {
        tags: ['interventions'],
        summary: 'Delete an intervention (its cached effects go with it)',
        params: InterventionParamsSchema,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      await findInScope(id, request.caller)
      await knex.transaction(async (trx) => {
        if (!(await interventionsRepository.remove(id, trx)))
          throw notFound(`no intervention ${id}`)
        await interventionsRepository.clearEffectsCache(trx)
      })
      return reply.code(204).send(null)
    },
  )

  fastify.get(
    '/interventions/:id/effects',
    {
      config: { rateLimitCost: rateLimitCosts.effects },
      schema: {
        tags: ['interventions'],
        summary: 'Effect of an intervention on the quarterly outcome rate',
        description:
          'method=synthetic_control (Abadie, Diamond & Hainmueller 2010; placebo-in-space p-values, ' +
          'same-size placebo-group intervals; donors: the max_donors never-treated neighbourhoods ' +
          'closest to the treated pre-period rate path) or did (Callaway & Sant’Anna 2021 against ' +
          'every never-treated neighbourhood). Cached per intervention, method, options and data ' +
          'version. Viewers get the estimate on the rounded table: per-area values, series and ' +
          'event-study values that rest on a suppressed cell are null, and the overall effect needs ' +
          'at least three treated areas.',
        params: InterventionParamsSchema,
        querystring: EffectsQuerySchema,
        response: { 200: EffectsSchema, ...withUnprocessable },
      },
    },
    async (request) => {
      const record = await findInScope(request.params.id, request.caller)
      const exact = seesExactValues(request.caller)
      const { effects } = await interventionEffects(
        { interventionsRepository, snapshotsRepository: fastify.snapshotsRepository },
        record,
        {
          method: request.query.method ?? 'synthetic_control',
          outcome: request.query.outcome ?? outcomeColumn,
          donors: request.query.donors ?? 'all',
          maxDonors: request.query.max_donors ?? 200,
        },
        exact
          ? { kind: 'exact' }
          : {
              kind: 'viewer',
              thresholds: {
                minCell: config.minCell,
                roundTo: config.roundTo,
                minBase: config.minBase,
              },
            },
      )
      if (!exact) return effects
      request.audit = {
        exactRead: true,
        areaCode: record.municipality,
        rows: effects.by_area.length,
      }
      return effects
    },
  )

  fastify.post(
    '/interventions/power',
    {
      config: { rateLimitCost: rateLimitCosts.power },
      preHandler: writers,
      schema: {
        tags: ['interventions'],
        summary: 'Minimum detectable effect of a planned intervention, simulated on history',
        description:
          'Placebo interventions in the quarters before start_period: effects of increasing size ' +
          'are injected into the candidate areas and detected by the same-size placebo-group test ' +
          '(α 0.05); the MDE is the smallest relative effect detected with 80% power. Seeded.',
        body: PowerRequestSchema,
        response: { 200: PowerResultSchema, ...withUnprocessable },
      },
    },
    async (request) => {
      const { areas, horizon_quarters: horizon, effect, outcome, donors } = request.body
      const startPeriod = periodParameter('start_period', request.body.start_period) as string
      for (const code of areas) {
        if (!code.startsWith('BU')) throw badRequest(`${code}: candidate areas are neighbourhoods`)
        assertAreaInScope(request.caller, code)
      }
      const municipalities = new Set(areas.map((code) => code.slice(2, 6)))
      if (donors === 'municipality' && municipalities.size > 1) {
        throw badRequest('donors=municipality needs candidate areas of one municipality')
      }
      request.audit = { exactRead: true, areaCode: null, rows: areas.length }
      return interventionPower(
        { interventionsRepository, snapshotsRepository: fastify.snapshotsRepository },
        {
          areas,
          startPeriod,
          horizon,
          effect,
          outcome: outcome ?? outcomeColumn,
          donors: donors ?? 'all',
          maxDonors: 200,
          seed: 1,
        },
      )
    },
  )
}

export default interventionRoutes
