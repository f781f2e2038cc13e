import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { resolveRuleParams, type AlertKind } from '../../../../monitors/rules/rule-params.js'
import { alertResource, viewerAlerts } from '../../../domain/alert-disclosure.js'
import { assertAreaInScope, listScope } from '../../scope.js'
import { AppError, badRequest, forbidden, notFound } from '../../../errors.js'
import { deleteAlertRule } from '../../../use-cases/evaluate-alerts.js'
import type { Caller } from '../../../hooks/auth.js'
import type { AlertRuleRow } from '../../../repositories/alerts-repository.js'
import {
  AlertListQuerySchema,
  AlertListSchema,
  AlertRuleCreateSchema,
  AlertRuleListQuerySchema,
  AlertRuleListSchema,
  AlertRuleSchema,
  AlertRuleUpdateSchema,
  AlertSchema,
  IdParamsSchema,
  type AlertRule,
} from '../../../schemas/alerts.js'
import { ErrorSchema, errorResponses } from '../../../schemas/common.js'
import { seesExactValues } from '../../../hooks/auth.js'

function ruleResource(rule: AlertRuleRow): AlertRule {
  return {
    id: rule.id,
    name: rule.name,
    kind: rule.kind,
    params: rule.params as unknown as Record<string, unknown>,
    municipality: rule.municipality,
    created_at: new Date(rule.created_at).toISOString(),
    updated_at: new Date(rule.updated_at).toISOString(),
  }
}

/** Model-level parameter errors (RangeError) become 400 with their message. */
function paramsOf(kind: AlertKind, params: Record<string, unknown> | undefined) {
  try {
    return resolveRuleParams(kind, params ?? {})
  } catch (error) {
    if (error instanceof RangeError) throw badRequest(error.message.replace(/^[^:]+: /, ''))
    throw error
  }
}

/** A scoped key sees its municipality's rules and the national ones. */
function assertRuleVisible(caller: Caller | null, rule: AlertRuleRow): void {
  if (caller?.municipality && rule.municipality && rule.municipality !== caller.municipality)
    throw forbidden(`this rule belongs to ${rule.municipality}, outside this key's scope`)
}

/** A scoped key changes only its municipality's rules, never a national one. */
function assertRuleWritable(caller: Caller | null, rule: AlertRuleRow): void {
  if (caller?.municipality && rule.municipality !== caller.municipality)
    throw forbidden(
      `this rule is ${rule.municipality ? `${rule.municipality}'s` : 'national'}; a key scoped to ${caller.municipality} cannot change it`,
    )
}

/** Alert rules and alerts (DESIGN.md §3); evaluation runs after uploads, model runs and rule changes. */
const alertRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { alertsRepository, alertEvaluator, config } = fastify
  const writers = fastify.requireRole('analyst', 'admin')

  fastify.post(
    '/alert-rules',
    {
      preHandler: writers,
      schema: {
        tags: ['alerts'],
        summary: 'Create an alert rule (in scope); it is evaluated at once and after every change',
        body: AlertRuleCreateSchema,
        response: { 201: AlertRuleSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, kind, params, municipality } = request.body
      const scope = request.caller?.municipality ?? null
      if (scope && municipality && municipality !== scope)
        throw forbidden(`${municipality} is outside this key's municipality ${scope}`)
      const rule = await alertsRepository.insertRule({
        id: randomUUID(),
        name,
        kind,
        params: paramsOf(kind, params),
        municipality: scope ?? municipality ?? null,
        created_by: request.caller?.keyId ?? null,
      })
      alertEvaluator.schedule('rule created')
      return reply.code(201).send(ruleResource(rule))
    },
  )

  fastify.get(
    '/alert-rules',
    {
      schema: {
        tags: ['alerts'],
        summary: "Alert rules: a scoped key's municipality's and the national ones",
        querystring: AlertRuleListQuerySchema,
        response: { 200: AlertRuleListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { kind, limit, offset } = request.query
      const municipality = listScope(request.caller, request.query.municipality)
      const { items, total } = await alertsRepository.listRules({
        municipality,
        kind,
        limit,
        offset,
      })
      return { items: items.map(ruleResource), total }
    },
  )

  fastify.get(
    '/alert-rules/:id',
    {
      schema: {
        tags: ['alerts'],
        summary: 'One alert rule',
        params: IdParamsSchema,
        response: { 200: AlertRuleSchema, ...errorResponses },
      },
    },
    async (request) => {
      const rule = await alertsRepository.findRule(request.params.id)
      if (!rule) throw notFound(`no alert rule ${request.params.id}`)
      assertRuleVisible(request.caller, rule)
      return ruleResource(rule)
    },
  )

  fastify.patch(
    '/alert-rules/:id',
    {
      preHandler: writers,
      schema: {
        tags: ['alerts'],
        summary: 'Rename a rule or change its parameters (merged over the current ones)',
        params: IdParamsSchema,
        body: AlertRuleUpdateSchema,
        response: { 200: AlertRuleSchema, ...errorResponses },
      },
    },
    async (request) => {
      const rule = await alertsRepository.findRule(request.params.id)
      if (!rule) throw notFound(`no alert rule ${request.params.id}`)
      assertRuleWritable(request.caller, rule)
      const params =
        request.body.params === undefined
          ? undefined
          : paramsOf(rule.kind, {
              ...(rule.params as unknown as Record<string, unknown>),
              ...request.body.params,
            })
      const updated = await alertsRepository.updateRule(rule.id, {
        name: request.body.name,
        params,
      })
      if (!updated) throw notFound(`no alert rule ${request.params.id}`)
      alertEvaluator.schedule('rule changed')
      return ruleResource(updated)
    },
  )

  fastify.delete(
    '/alert-rules/:id',
    {
      preHandler: writers,
      schema: {
        tags: ['alerts'],
        summary: 'Delete a rule; its open alerts are resolved (with webhook events) and removed',
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const rule = await alertsRepository.findRule(request.params.id)
      if (!rule) throw notFound(`no alert rule ${request.params.id}`)
      assertRuleWritable(request.caller, rule)
      const deleted = await deleteAlertRule(
        {
          knex: fastify.knex,
          engine: fastify.dbEngine,
          alertsRepository,
          webhooksRepository: fastify.webhooksRepository,
        },
        rule.id,
      )
      if (!deleted) throw notFound(`no alert rule ${request.params.id}`)
      fastify.outboxWorker.kick()
      return reply.code(204).send(null)
    },
  )

  fastify.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first; viewers get disclosure-controlled values and explanations',
        querystring: AlertListQuerySchema,
        response: { 200: AlertListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { state, kind, area, rule_id, limit, offset } = request.query
      const municipality = listScope(request.caller, request.query.municipality)
      if (area) assertAreaInScope(request.caller, area)
      const { items, total } = await alertsRepository.listAlerts({
        state,
        kind,
        municipality,
        area,
        rule_id,
        limit,
        offset,
      })
      if (!seesExactValues(request.caller)) return { items: viewerAlerts(items, config), total }
      request.audit = { exactRead: true, areaCode: area ?? null, rows: items.length }
      return { items: items.map(alertResource), total }
    },
  )

  fastify.get(
    '/alerts/:id',
    {
      schema: {
        tags: ['alerts'],
        summary: 'One alert',
        params: IdParamsSchema,
        response: { 200: AlertSchema, ...errorResponses },
      },
    },
    async (request) => {
      const alert = await alertsRepository.findAlert(request.params.id)
      if (!alert) throw notFound(`no alert ${request.params.id}`)
      assertAreaInScope(request.caller, alert.area_code)
      if (!seesExactValues(request.caller)) return viewerAlerts([alert], config)[0]
      request.audit = { exactRead: true, areaCode: alert.area_code, rows: 1 }
      return alertResource(alert)
    },
  )

  fastify.post(
    '/alerts/:id/acknowledge',
    {
      preHandler: writers,
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge an open alert (it stays open until its condition clears)',
        params: IdParamsSchema,
        response: { 200: AlertSchema, 409: ErrorSchema, ...errorResponses },
      },
    },
    async (request) => {
      const alert = await alertsRepository.findAlert(request.params.id)
      if (!alert) throw notFound(`no alert ${request.params.id}`)
      assertAreaInScope(request.caller, alert.area_code)
      if (alert.state === 'resolved')
        throw new AppError(
          409,
          'conflict',
          'this alert is resolved; there is nothing to acknowledge',
        )
      await alertsRepository.acknowledge(alert.id, request.caller?.keyId ?? null)
      return alertResource((await alertsRepository.findAlert(alert.id))!)
    },
  )
}

export default alertRoutes
