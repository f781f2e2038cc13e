import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { AreaLevel } from '../domain/areas.js'
import type { SnapshotValues } from '../domain/snapshot-values.js'

/** One quarter of an area's counts (current revision), as the trend statistics read it. */
export interface QuarterCounts extends SnapshotValues {
  period: string
}

/** A quarter of an area's series with the latest horizon-0 run's risk (null without one). */
export interface AreaQuarter extends QuarterCounts {
  risk: number | null
}

/** One neighbourhood and its quarterly rows, in period order. */
export interface NeighbourhoodSeries {
  area_code: string
  area_name: string | null
  parent_code: string | null
  quarters: QuarterCounts[]
}

/** An area's series and where it comes from. */
export interface AreaSeries {
  /** false: the area's own snapshots; true: the sum over its neighbourhoods */
  aggregated: boolean
  quarters: AreaQuarter[]
}

/** The id of the latest published horizon-0 model run (what `GET /v1/risk` serves), or NULL. */
const latestRunSql = `(
  SELECT id FROM model_runs
  WHERE status = 'succeeded' AND published AND horizon_quarters = 0
  ORDER BY published_at DESC NULLS LAST, finished_at DESC NULLS LAST, id
  LIMIT 1
)`

const countColumns = [
  'early_school_leavers',
  'halt_registrations',
  'parental_debt',
  'drug_offence_suspects',
] as const

/** A quarter as `json_build_array` sends it: period, youth_population, then `countColumns`. */
type JsonQuarter = [string, number, number | null, number | null, number | null, number | null]

interface JsonRow {
  area_code: string
  area_name: string | null
  parent_code: string | null
  /** parsed by pg; PGlite may hand over the text */
  quarters: JsonQuarter[] | string
}

/** Rows from `knex.raw`: pg answers `{rows}`, knex-pglite the same shape. */
function rowsOf<Row>(result: unknown): Row[] {
  return (result as { rows: Row[] }).rows
}

export function createTrendsRepository(knex: Knex) {
  return {
    /**
     * The quarterly series of an area: its own current snapshots when it has any (unless
     * `sumOverNeighbourhoods`); otherwise (a district or municipality fed only through its
     * neighbourhoods) the sum over its neighbourhoods, a district's being its children, a municipality's every neighbourhood
     * with its `municipality_code`.
     *
     * Sums never turn a missing value into 0 (DESIGN.md §1, issue 6 item 4):
     * - the members are the area's neighbourhoods that have at least one current snapshot;
     * - a quarter enters the sum only when EVERY member has a row for it (a quarter missing in
     *   one neighbourhood is a gap of the aggregate, not a smaller total);
     * - `youth_population` is the sum over all members; each count is the sum over all members
     *   when every member delivered it, else NULL (never a partial sum), so a rate is always a
     *   count and a population over the same neighbourhoods;
     * - `risk` is the population-weighted mean of the members' scores, Σ risk·n / Σ n (the
     *   expected number of suspects over the population: a rate from sums), and NULL unless
     *   every member has a score for the quarter.
     * Risk comes from the latest successful run with `horizon_quarters = 0`.
     */
    async areaSeries(
      area: { area_code: string; level: AreaLevel },
      options: { sumOverNeighbourhoods?: boolean } = {},
      trx: Knex | Knex.Transaction = knex,
    ): Promise<AreaSeries> {
      const own = rowsOf<AreaQuarter>(
        await trx.raw(
          `SELECT s.period, s.youth_population, s.early_school_leavers, s.halt_registrations,
                  s.parental_debt, s.drug_offence_suspects, r.risk
           FROM snapshots s
           LEFT JOIN risk_scores r
             ON r.run_id = ${latestRunSql} AND r.area_code = s.area_code AND r.period = s.period
           WHERE s.area_code = ? AND s.valid_to IS NULL
           ORDER BY s.period`,
          [area.area_code],
        ),
      )
      if ((own.length > 0 && !options.sumOverNeighbourhoods) || area.level === 'neighbourhood') {
        return { aggregated: false, quarters: own }
      }
      const memberFilter =
        area.level === 'district' ? 'a.parent_code = ?' : 'a.municipality_code = ?'
      const sums = countColumns
        .map(
          (column) =>
            `CASE WHEN count(s.${column}) = count(*) THEN sum(s.${column})::int END AS ${column}`,
        )
        .join(',\n                ')
      const quarters = rowsOf<AreaQuarter>(
        await trx.raw(
          `WITH members AS (
             SELECT a.area_code FROM areas a
             WHERE a.level = 'neighbourhood' AND ${memberFilter}
               AND EXISTS (
                 SELECT 1 FROM snapshots x WHERE x.area_code = a.area_code AND x.valid_to IS NULL
               )
           )
           SELECT s.period,
                  sum(s.youth_population)::int AS youth_population,
                  ${sums},
                  CASE WHEN count(r.risk) = count(*) AND sum(s.youth_population) > 0
                    THEN sum(r.risk * s.youth_population) / sum(s.youth_population) END AS risk
           FROM members m
           JOIN snapshots s ON s.area_code = m.area_code AND s.valid_to IS NULL
           LEFT JOIN risk_scores r
             ON r.run_id = ${latestRunSql} AND r.area_code = s.area_code AND r.period = s.period
           GROUP BY s.period
           HAVING count(*) = (SELECT count(*) FROM members)
           ORDER BY s.period`,
          [area.area_code],
        ),
      )
      return {
        aggregated: true,
        quarters: quarters.map((row) => ({
          ...row,
          risk: row.risk === null ? null : Number(row.risk),
        })),
      }
    },

    /**
     * Every neighbourhood's current quarterly rows in one query: one result row per
     * neighbourhood with its quarters as a JSON array in period order (400 neighbourhoods × 48
     * quarters arrive as 400 rows; JSON parses faster in Node than 19,200 rows or int arrays).
     * Filtered to a municipality or a district (both optional: an admin's national list) and to
     * quarters up to `upTo` inclusive. Neighbourhoods without a current row in range are left
     * out. Ordered by area code.
     */
    async neighbourhoodSeries(
      filter: { municipality?: string; district?: string; upTo?: string },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<NeighbourhoodSeries[]> {
      const conditions = [`a.level = 'neighbourhood'`]
      const bindings: string[] = []
      if (filter.upTo) bindings.push(filter.upTo)
      if (filter.municipality) {
        conditions.push('a.municipality_code = ?')
        bindings.push(filter.municipality)
      }
      if (filter.district) {
        conditions.push('a.parent_code = ?')
        bindings.push(filter.district)
      }
      const rows = rowsOf<JsonRow>(
        await trx.raw(
          `SELECT * FROM (
             SELECT a.area_code, a.area_name, a.parent_code,
                    (SELECT json_agg(json_build_array(s.period, s.youth_population,
                              ${countColumns.map((column) => `s.${column}`).join(', ')})
                            ORDER BY s.period)
                     FROM snapshots s
                     WHERE s.area_code = a.area_code AND s.valid_to IS NULL
                       ${filter.upTo ? 'AND s.period <= ?' : ''}) AS quarters
             FROM areas a
             WHERE ${conditions.join(' AND ')}
           ) neighbourhoods
           WHERE quarters IS NOT NULL
           ORDER BY area_code`,
          bindings,
        ),
      )
      return rows.map((row) => {
        const quarters = typeof row.quarters === 'string' ? JSON.parse(row.quarters) : row.quarters
        return {
          area_code: row.area_code,
          area_name: row.area_name,
          parent_code: row.parent_code,
          quarters: (quarters as JsonQuarter[]).map((quarter) => ({
            period: quarter[0],
            youth_population: quarter[1],
            early_school_leavers: quarter[2],
            halt_registrations: quarter[3],
            parental_debt: quarter[4],
            drug_offence_suspects: quarter[5],
          })),
        }
      })
    },
  }
}

export type TrendsRepository = ReturnType<typeof createTrendsRepository>

declare module 'fastify' {
  interface FastifyInstance {
    trendsRepository: TrendsRepository
  }
}

export default fp(
  async function trendsRepository(fastify: FastifyInstance) {
    fastify.decorate('trendsRepository', createTrendsRepository(fastify.knex))
  },
  { name: 'trends-repository', dependencies: ['db'] },
)
