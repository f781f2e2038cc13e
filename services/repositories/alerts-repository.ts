import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { AlertRow, AlertRuleRow, AlertState } from '../domain/records.js'
import { shiftPeriod } from '../../models/periods/quarter.js'
import type { AlertFacts, AreaRiskInput, RiskInput } from '../../monitors/rules/alert-input.js'
import type { AlertKind, RuleParams } from '../../monitors/rules/rule-params.js'

export type NewAlert = Omit<
  AlertRow,
  'rule_name' | 'area_name' | 'resolved_at' | 'acknowledged_at' | 'acknowledged_by' | 'updated_at'
>

export interface AlertUpdate {
  id: string
  period: string
  value: number | null
  threshold: number | null
  facts: AlertFacts
  explanation: string
  hit_streak: number
  clear_streak: number
}

export interface AlertFilter {
  state?: AlertState
  kind?: AlertKind
  municipality?: string
  area?: string
  rule_id?: string
  limit: number
  offset: number
}

/** Jobs evaluating alerts run one at a time across instances (DESIGN.md §2). */
const evaluationLockName = 'aanwas.alert-evaluation'

function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

function toRule(row: Record<string, unknown>): AlertRuleRow {
  return { ...(row as unknown as AlertRuleRow), params: parseJson<RuleParams>(row.params) }
}

function toAlert(row: Record<string, unknown>): AlertRow {
  return { ...(row as unknown as AlertRow), facts: parseJson<AlertFacts>(row.facts) }
}

const alertColumns = `al.*, r.name AS rule_name, a.area_name`

export function createAlertsRepository(knex: Knex) {
  function alertQuery(trx: Knex | Knex.Transaction) {
    return trx('alerts as al')
      .join('alert_rules as r', 'r.id', 'al.rule_id')
      .leftJoin('areas as a', 'a.area_code', 'al.area_code')
  }

  return {
    // ------------------------------------------------------------------ rules

    async insertRule(
      rule: Omit<AlertRuleRow, 'created_at' | 'updated_at'>,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<AlertRuleRow> {
      const [row] = await trx('alert_rules')
        .insert({ ...rule, params: JSON.stringify(rule.params) })
        .returning('*')
      return toRule(row)
    },

    async findRule(id: string, trx: Knex | Knex.Transaction = knex) {
      const row = await trx('alert_rules').where({ id }).first()
      return row ? toRule(row) : undefined
    },

    /** Rules of a municipality and the national ones (for a scoped key), or all. */
    async listRules(
      filter: { municipality?: string; kind?: AlertKind; limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: AlertRuleRow[]; total: number }> {
      const query = trx('alert_rules')
      if (filter.municipality)
        query.where((where) =>
          where.where('municipality', filter.municipality!).orWhereNull('municipality'),
        )
      if (filter.kind) query.where({ kind: filter.kind })
      const [{ total }] = await query.clone().count<{ total: number }[]>({ total: '*' })
      const rows = await query
        .select('*')
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(filter.limit)
        .offset(filter.offset)
      return { items: rows.map(toRule), total: Number(total) }
    },

    /**
     * Whether any rule exists: one single-table statement, taken before the evaluation's
     * transaction so that instances (and test files) without rules never hold locks on the
     * alert tables.
     */
    async hasRules(trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      return (await trx('alert_rules').first('id')) !== undefined
    },

    async allRules(trx: Knex | Knex.Transaction = knex): Promise<AlertRuleRow[]> {
      return (await trx('alert_rules').select('*').orderBy('created_at').orderBy('id')).map(toRule)
    },

    async updateRule(
      id: string,
      changes: { name?: string; params?: RuleParams },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<AlertRuleRow | undefined> {
      const [row] = await trx('alert_rules')
        .where({ id })
        .update({
          ...(changes.name === undefined ? {} : { name: changes.name }),
          ...(changes.params === undefined ? {} : { params: JSON.stringify(changes.params) }),
          updated_at: trx.fn.now(),
        })
        .returning('*')
      return row ? toRule(row) : undefined
    },

    async deleteRule(id: string, trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      return (await trx('alert_rules').where({ id }).delete().returning('id')).length > 0
    },

    /** Deletes the alert rules these keys created, and their alerts (cascade); counts both. */
    async removeRulesCreatedBy(
      keyIds: readonly string[],
      trx: Knex.Transaction,
    ): Promise<{ rules: number; alerts: number }> {
      if (keyIds.length === 0) return { rules: 0, alerts: 0 }
      const rules = trx('alert_rules').whereIn('created_by', keyIds as string[])
      const [{ total }] = await trx('alerts')
        .whereIn('rule_id', rules.clone().select('id'))
        .count<{ total: number }[]>({ total: '*' })
      const removed = (await rules.delete().returning('id')) as unknown[]
      return { rules: removed.length, alerts: Number(total) }
    },

    // ------------------------------------------------------------------ alerts

    /** Serialises evaluations across instances until the transaction ends (PostgreSQL only). */
    async lockEvaluation(trx: Knex.Transaction): Promise<void> {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [evaluationLockName])
    },

    async openAlerts(
      ruleId: string | undefined,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<AlertRow[]> {
      const query = alertQuery(trx).whereNot('al.state', 'resolved').select(trx.raw(alertColumns))
      if (ruleId) query.where('al.rule_id', ruleId)
      return (await query).map(toAlert)
    },

    /** One statement per 1000 alerts (a JSON recordset), not one bound parameter per value. */
    async insertAlerts(alerts: readonly NewAlert[], trx: Knex.Transaction): Promise<void> {
      for (let start = 0; start < alerts.length; start += 1000) {
        await trx.raw(
          `INSERT INTO alerts (id, rule_id, kind, area_code, municipality_code, period, value,
             threshold, facts, explanation, state, hit_streak, clear_streak, first_fired_at)
           SELECT v.id, v.rule_id, v.kind, v.area_code, v.municipality_code, v.period, v.value,
             v.threshold, v.facts, v.explanation, v.state, v.hit_streak, v.clear_streak,
             v.first_fired_at
           FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, rule_id uuid, kind text,
             area_code text, municipality_code text, period text, value float8, threshold float8,
             facts jsonb, explanation text, state text, hit_streak int, clear_streak int,
             first_fired_at timestamptz)`,
          [JSON.stringify(alerts.slice(start, start + 1000))],
        )
      }
    },

    /** One statement per 1000 alerts (a JSON recordset), not one per alert. */
    async updateAlerts(updates: readonly AlertUpdate[], trx: Knex.Transaction): Promise<void> {
      for (let start = 0; start < updates.length; start += 1000) {
        await trx.raw(
          `UPDATE alerts AS al SET period = v.period, value = v.value, threshold = v.threshold,
             facts = v.facts, explanation = v.explanation, hit_streak = v.hit_streak,
             clear_streak = v.clear_streak, updated_at = now()
           FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, period text, value float8,
             threshold float8, facts jsonb, explanation text, hit_streak int, clear_streak int)
           WHERE al.id = v.id`,
          [JSON.stringify(updates.slice(start, start + 1000))],
        )
      }
    },

    /** Marks open alerts resolved; answers them as they are now. */
    async resolveAlerts(
      resolutions: ReadonlyArray<{ id: string; clear_streak: number }>,
      at: Date,
      trx: Knex.Transaction,
    ): Promise<void> {
      for (let start = 0; start < resolutions.length; start += 1000) {
        await trx.raw(
          `UPDATE alerts AS al SET state = 'resolved', resolved_at = ?, clear_streak = v.clear_streak,
             hit_streak = 0, updated_at = now()
           FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, clear_streak int)
           WHERE al.id = v.id AND al.state <> 'resolved'`,
          [at, JSON.stringify(resolutions.slice(start, start + 1000))],
        )
      }
    },

    async findAlert(id: string, trx: Knex | Knex.Transaction = knex) {
      const row = await alertQuery(trx).where('al.id', id).select(trx.raw(alertColumns)).first()
      return row ? toAlert(row) : undefined
    },

    async listAlerts(
      filter: AlertFilter,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: AlertRow[]; total: number }> {
      const query = alertQuery(trx)
      if (filter.state) query.where('al.state', filter.state)
      if (filter.kind) query.where('al.kind', filter.kind)
      if (filter.municipality) query.where('al.municipality_code', filter.municipality)
      if (filter.area) query.where('al.area_code', filter.area)
      if (filter.rule_id) query.where('al.rule_id', filter.rule_id)
      const [{ total }] = await query.clone().count<{ total: number }[]>({ total: '*' })
      const rows = await query
        .select(trx.raw(alertColumns))
        .orderBy('al.first_fired_at', 'desc')
        .orderBy('al.area_code')
        .orderBy('al.id')
        .limit(filter.limit)
        .offset(filter.offset)
      return { items: rows.map(toAlert), total: Number(total) }
    },

    /** Acknowledges an open alert; false when it is resolved or already acknowledged. */
    async acknowledge(
      id: string,
      keyId: string | null,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<boolean> {
      const changed = await trx('alerts').where({ id, state: 'firing' }).update({
        state: 'acknowledged',
        acknowledged_at: trx.fn.now(),
        acknowledged_by: keyId,
        updated_at: trx.fn.now(),
      })
      return changed > 0
    },

    /** Open alerts per kind and municipality, for the Prometheus gauge. */
    async openCounts(
      trx: Knex | Knex.Transaction = knex,
    ): Promise<Array<{ kind: string; municipality_code: string; count: number }>> {
      const rows = await trx('alerts')
        .whereNot('state', 'resolved')
        .groupBy('kind', 'municipality_code')
        .select('kind', 'municipality_code')
        .count<Array<{ kind: string; municipality_code: string; count: number }>>({ count: '*' })
      return rows.map((row) => ({ ...row, count: Number(row.count) }))
    },

    // ------------------------------------------------------------------ evaluation input

    /**
     * The latest published run of a horizon (what `GET /v1/risk` serves) and its scores for its
     * last `quarters` scored quarters, per neighbourhood; undefined without such a run.
     */
    async riskInput(
      horizon: number,
      quarters: number,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<RiskInput | undefined> {
      const run = await trx('model_runs')
        .where({
          horizon_quarters: horizon,
          status: 'succeeded',
          published: true,
          scores_kept: true,
        })
        .orderBy('published_at', 'desc')
        .orderBy('finished_at', 'desc')
        .first('id')
      if (!run) return undefined
      const latest = await trx('risk_scores')
        .where({ run_id: run.id })
        .orderBy('period', 'desc')
        .first('period')
      if (!latest) return undefined
      const periods: string[] = []
      for (let back = quarters - 1; back >= 0; back -= 1)
        periods.push(shiftPeriod(latest.period, -back))
      const rows = (await trx('risk_scores')
        .where({ run_id: run.id })
        .where('period', '>=', periods[0])
        .select(
          'area_code',
          'municipality_code',
          'period',
          'risk',
          'percentile',
          'rank',
          'percentile_national',
          'rank_national',
        )) as Array<{
        area_code: string
        municipality_code: string
        period: string
        risk: number
        percentile: number
        rank: number
        percentile_national: number
        rank_national: number
      }>
      const index = new Map(periods.map((period, position) => [period, position]))
      const byArea = new Map<string, AreaRiskInput>()
      const municipalitySizes = new Map<string, number[]>()
      const nationalSizes = periods.map(() => 0)
      const empty = () => periods.map(() => null as number | null)
      for (const row of rows) {
        const at = index.get(row.period)
        if (at === undefined) continue
        let scores = byArea.get(row.area_code) as
          { [K in keyof AreaRiskInput]: (number | null)[] } | undefined
        if (!scores) {
          scores = {
            risk: empty(),
            percentile: empty(),
            rank: empty(),
            percentile_national: empty(),
            rank_national: empty(),
          }
          byArea.set(row.area_code, scores)
        }
        scores.risk[at] = row.risk
        scores.percentile[at] = row.percentile
        scores.rank[at] = row.rank
        scores.percentile_national[at] = row.percentile_national
        scores.rank_national[at] = row.rank_national
        let sizes = municipalitySizes.get(row.municipality_code)
        if (!sizes) {
          sizes = periods.map(() => 0)
          municipalitySizes.set(row.municipality_code, sizes)
        }
        sizes[at] += 1
        nationalSizes[at] += 1
      }
      return {
        run_id: run.id,
        horizon_quarters: horizon,
        periods,
        byArea,
        municipalitySizes,
        nationalSizes,
      }
    },
  }
}

export type AlertsRepository = ReturnType<typeof createAlertsRepository>

declare module 'fastify' {
  interface FastifyInstance {
    alertsRepository: AlertsRepository
  }
}

export default fp(
  async function alertsRepository(fastify: FastifyInstance) {
    fastify.decorate('alertsRepository', createAlertsRepository(fastify.knex))
  },
  { name: 'alerts-repository', dependencies: ['db'] },
)

export type { AlertRow, AlertRuleRow, AlertState }
