import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { to as copyTo } from 'pg-copy-streams'
import {
  formatQuarter,
  parseQuarter,
  shiftPeriod,
  type Quarter,
} from '../../models/periods/quarter.js'
import type { DatabaseEngine } from '../db/open-database.js'
import type {
  AlertFacts,
  AlertInput,
  AreaRiskInput,
  AreaSeriesInput,
  RiskInput,
} from '../../monitors/rules/alert-input.js'
import type { AlertKind, RuleParams } from '../../monitors/rules/rule-params.js'
import { snapshotValueColumns, type SnapshotValues } from '../domain/snapshot-values.js'

export type AlertState = 'firing' | 'acknowledged' | 'resolved'

export interface AlertRuleRow {
  id: string
  name: string
  kind: AlertKind
  params: RuleParams
  municipality: string | null
  created_by: string | null
  created_at: Date
  updated_at: Date
}

export interface AlertRow {
  id: string
  rule_id: string
  rule_name: string
  kind: AlertKind
  area_code: string
  area_name: string | null
  municipality_code: string
  period: string
  value: number | null
  threshold: number | null
  facts: AlertFacts
  explanation: string
  state: AlertState
  hit_streak: number
  clear_streak: number
  first_fired_at: Date
  resolved_at: Date | null
  acknowledged_at: Date | null
  acknowledged_by: string | null
  updated_at: Date
}

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

function rowsOf<Row>(result: unknown): Row[] {
  return (result as { rows: Row[] }).rows
}

/** The current snapshot rows evaluation reads, one per area and quarter (no order needed). */
const currentRowsSql = `SELECT area_code, period, youth_population, early_school_leavers,
  halt_registrations, parental_debt, drug_offence_suspects
  FROM snapshots WHERE valid_to IS NULL`

type CurrentRow = SnapshotValues & { area_code: string; period: string }

/** The five series of `AreaSeriesInput`, in the order of `currentRowsSql`. */
const seriesColumns = snapshotValueColumns

/** Rows per block of `CurrentRows` (blocks are added, never copied, as rows arrive). */
const blockRows = 1 << 15

interface RowBlock {
  areaPositions: Int32Array
  quarterIndices: Int32Array
  /** five values per row, in `seriesColumns` order */
  values: Float64Array
}

/**
 * Collects current rows in typed columns (a missing value as NaN), then aligns them per
 * neighbourhood on the consecutive quarter axis from the first to the last quarter seen. Rows of
 * areas that are not neighbourhoods (position −1) are skipped.
 */
class CurrentRows {
  private readonly blocks: RowBlock[] = []
  private length = 0
  private first = Number.POSITIVE_INFINITY
  private last = Number.NEGATIVE_INFINITY
  private readonly quarterIndexByPeriod = new Map<string, number>()

  constructor(private readonly areaPositionByCode: ReadonlyMap<string, number>) {}

  /** The area's position in the neighbourhood list, −1 for any other area. */
  areaPosition(areaCode: string): number {
    return this.areaPositionByCode.get(areaCode) ?? -1
  }

  /** year × 4 + quarter − 1 of a period, NaN when it is not a quarter. */
  quarterIndex(period: string): number {
    let quarterIndex = this.quarterIndexByPeriod.get(period)
    if (quarterIndex === undefined) {
      const quarter = parseQuarter(period)
      quarterIndex = quarter ? quarter.year * 4 + quarter.quarter - 1 : Number.NaN
      this.quarterIndexByPeriod.set(period, quarterIndex)
    }
    return quarterIndex
  }

  /** One row (missing values as NaN); skipped for another area or a period that is no quarter. */
  add(
    areaPosition: number,
    quarterIndex: number,
    youthPopulation: number,
    earlySchoolLeavers: number,
    haltRegistrations: number,
    parentalDebt: number,
    drugOffenceSuspects: number,
  ): void {
    if (areaPosition < 0 || Number.isNaN(quarterIndex)) return
    const row = this.length % blockRows
    if (row === 0) {
      this.blocks.push({
        areaPositions: new Int32Array(blockRows),
        quarterIndices: new Int32Array(blockRows),
        values: new Float64Array(blockRows * 5),
      })
    }
    const block = this.blocks[this.blocks.length - 1]
    this.length += 1
    block.areaPositions[row] = areaPosition
    block.quarterIndices[row] = quarterIndex
    if (quarterIndex < this.first) this.first = quarterIndex
    if (quarterIndex > this.last) this.last = quarterIndex
    const at = row * 5
    block.values[at] = youthPopulation
    block.values[at + 1] = earlySchoolLeavers
    block.values[at + 2] = haltRegistrations
    block.values[at + 3] = parentalDebt
    block.values[at + 4] = drugOffenceSuspects
  }

  /** The neighbourhoods (in the given order) that have at least one row, with aligned series. */
  align(
    areaRows: ReadonlyArray<{
      area_code: string
      area_name: string | null
      municipality_code: string
    }>,
  ): Pick<AlertInput, 'periods' | 'areas'> {
    if (this.length === 0) return { periods: [], areas: [] }
    const { first, last } = this
    const periods: string[] = []
    for (let quarterIndex = first; quarterIndex <= last; quarterIndex += 1) {
      periods.push(
        formatQuarter({
          year: Math.floor(quarterIndex / 4),
          quarter: ((quarterIndex % 4) + 1) as Quarter['quarter'],
        }),
      )
    }
    const aligned: Array<Array<Array<number | null>> | undefined> = new Array(areaRows.length)
    this.blocks.forEach(({ areaPositions, quarterIndices, values }, index) => {
      const rowsInBlock = Math.min(blockRows, this.length - index * blockRows)
      for (let row = 0; row < rowsInBlock; row += 1) {
        const position = areaPositions[row]
        let series = aligned[position]
        if (series === undefined) {
          series = seriesColumns.map(() => new Array<number | null>(periods.length).fill(null))
          aligned[position] = series
        }
        const at = quarterIndices[row] - first
        for (let column = 0; column < 5; column += 1) {
          const value = values[row * 5 + column]
          series[column][at] = Number.isNaN(value) ? null : value
        }
      }
    })
    const areas: AreaSeriesInput[] = []
    areaRows.forEach((area, position) => {
      const series = aligned[position]
      if (series === undefined) return
      areas.push({
        area_code: area.area_code,
        area_name: area.area_name,
        municipality_code: area.municipality_code,
        youth_population: series[0],
        early_school_leavers: series[1],
        halt_registrations: series[2],
        parental_debt: series[3],
        drug_offence_suspects: series[4],
      })
    })
    return { periods, areas }
  }
}

/** A field of COPY's text format as an integer; `\N` (NULL) as NaN. */
function copyInteger(text: string, start: number, end: number): number {
  let at = start
  if (text.charCodeAt(at) === 92) return Number.NaN
  let sign = 1
  if (text.charCodeAt(at) === 45) {
    sign = -1
    at += 1
  }
  let value = 0
  for (; at < end; at += 1) value = value * 10 + (text.charCodeAt(at) - 48)
  return sign * value
}

/**
 * Parses the complete lines of `currentRowsSql` in COPY text format (tab-separated; area codes
 * and canonical periods never need escaping) into `rows`; answers where the unfinished last line
 * starts. Rows of one area mostly come together, so the last area code is compared in place
 * before a lookup, and a canonical `2024Q3` is read without making a string.
 */
function parseCopyLines(text: string, rows: CurrentRows, last: { code: string; position: number }) {
  let lineStart = 0
  for (;;) {
    const lineEnd = text.indexOf('\n', lineStart)
    if (lineEnd < 0) return lineStart
    const codeEnd = text.indexOf('\t', lineStart)
    const periodEnd = text.indexOf('\t', codeEnd + 1)
    const youthEnd = text.indexOf('\t', periodEnd + 1)
    const leaversEnd = text.indexOf('\t', youthEnd + 1)
    const haltEnd = text.indexOf('\t', leaversEnd + 1)
    const debtEnd = text.indexOf('\t', haltEnd + 1)
    if (codeEnd - lineStart !== last.code.length || !text.startsWith(last.code, lineStart)) {
      last.code = text.slice(lineStart, codeEnd)
      last.position = rows.areaPosition(last.code)
    }
    const periodStart = codeEnd + 1
    const quarter = text.charCodeAt(periodStart + 5) - 48
    const quarterIndex =
      periodEnd - periodStart === 6 &&
      text.charCodeAt(periodStart + 4) === 81 &&
      quarter >= 1 &&
      quarter <= 4
        ? copyInteger(text, periodStart, periodStart + 4) * 4 + quarter - 1
        : rows.quarterIndex(text.slice(periodStart, periodEnd))
    rows.add(
      last.position,
      quarterIndex,
      copyInteger(text, periodEnd + 1, youthEnd),
      copyInteger(text, youthEnd + 1, leaversEnd),
      copyInteger(text, leaversEnd + 1, haltEnd),
      copyInteger(text, haltEnd + 1, debtEnd),
      copyInteger(text, debtEnd + 1, lineEnd),
    )
    lineStart = lineEnd + 1
  }
}

/** PostgreSQL: streams `currentRowsSql` with COPY TO STDOUT through the transaction's connection. */
async function copyCurrentRows(trx: Knex.Transaction, rows: CurrentRows): Promise<void> {
  const connection = (await trx.client.acquireConnection()) as {
    query: (stream: Readable) => Readable
  }
  const stream = connection.query(copyTo(`COPY (${currentRowsSql}) TO STDOUT`))
  const decoder = new StringDecoder('utf8')
  const last = { code: '', position: -1 }
  let unfinished = ''
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = unfinished + decoder.write(chunk)
    unfinished = text.slice(parseCopyLines(text, rows, last))
  }
  unfinished += decoder.end()
  if (unfinished.length > 0) parseCopyLines(`${unfinished}\n`, rows, last)
}

/** `seriesInput` within one transaction (or on PGlite's single connection). */
async function readSeriesInput(
  trx: Knex | Knex.Transaction,
  engine: DatabaseEngine,
): Promise<Pick<AlertInput, 'periods' | 'areas'>> {
  const areaRows = (await trx('areas')
    .where({ level: 'neighbourhood' })
    .orderBy('area_code')
    .select('area_code', 'area_name', 'municipality_code')) as Array<{
    area_code: string
    area_name: string | null
    municipality_code: string
  }>
  const rows = new CurrentRows(new Map(areaRows.map((row, position) => [row.area_code, position])))
  if (engine === 'postgres') {
    await copyCurrentRows(trx as Knex.Transaction, rows)
  } else {
    const missing = (value: number | null) => value ?? Number.NaN
    for (const row of rowsOf<CurrentRow>(await trx.raw(currentRowsSql))) {
      rows.add(
        rows.areaPosition(row.area_code),
        rows.quarterIndex(row.period),
        row.youth_population,
        missing(row.early_school_leavers),
        missing(row.halt_registrations),
        missing(row.parental_debt),
        missing(row.drug_offence_suspects),
      )
    }
  }
  return rows.align(areaRows)
}

const alertColumns = `al.*, r.name AS rule_name, a.area_name`

export function createAlertsRepository(knex: Knex, engine: DatabaseEngine) {
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
     * Every neighbourhood's current quarterly rows on one consecutive quarter axis (first to
     * last quarter delivered anywhere), neighbourhoods in area-code order. The rows are read flat
     * and aligned here: on PostgreSQL streamed with `COPY … TO STDOUT` and parsed as they arrive
     * (no grouping or sorting in the database, no row objects), on PGlite with a plain SELECT.
     * Opens a transaction of its own when none is given (COPY needs one connection throughout).
     */
    async seriesInput(
      trx: Knex | Knex.Transaction = knex,
    ): Promise<Pick<AlertInput, 'periods' | 'areas'>> {
      if (engine === 'postgres' && !trx.isTransaction)
        return knex.transaction((inner) => readSeriesInput(inner, engine))
      return readSeriesInput(trx, engine)
    },

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
    fastify.decorate('alertsRepository', createAlertsRepository(fastify.knex, fastify.dbEngine))
  },
  { name: 'alerts-repository', dependencies: ['db'] },
)
