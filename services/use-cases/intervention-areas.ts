import type { Knex } from 'knex'
import { canonicalQuarter } from '../../models/periods/quarter.js'
import { areaLevel, municipalityCode } from '../domain/areas.js'
import { badRequest } from '../errors.js'
import type { AreasRepository } from '../repositories/areas-repository.js'
import type { InterventionAreaRow } from '../repositories/interventions-repository.js'
import type { InterventionAreaInput } from '../schemas/interventions.js'

/**
 * Treated areas of an intervention as sent on create and update (DESIGN.md §3 interventions
 * rows): checked here, once, so the effects and power use cases can trust what is stored.
 */

/**
 * Canonicalises and checks the treated areas of an intervention: each a neighbourhood of the
 * intervention's municipality that exists, listed once, with start ≤ end. Throws 400 naming
 * the offending area.
 */
export async function normaliseInterventionAreas(
  areasRepository: AreasRepository,
  municipality: string,
  areas: readonly InterventionAreaInput[],
  trx?: Knex.Transaction,
): Promise<InterventionAreaRow[]> {
  const seen = new Set<string>()
  const rows: InterventionAreaRow[] = []
  for (const [index, area] of areas.entries()) {
    const where = `areas[${index}] (${area.area_code})`
    if (areaLevel(area.area_code) !== 'neighbourhood') {
      throw badRequest(`${where}: interventions treat neighbourhoods (BU codes)`)
    }
    if (municipalityCode(area.area_code) !== municipality) {
      throw badRequest(`${where}: not a neighbourhood of ${municipality}`)
    }
    if (seen.has(area.area_code)) throw badRequest(`${where}: listed twice`)
    seen.add(area.area_code)
    const start = canonicalQuarter(area.start_period)
    if (!start) throw badRequest(`${where}: start_period must be a quarter like 2024Q3`)
    let end: string | null = null
    if (area.end_period !== undefined && area.end_period !== null) {
      end = canonicalQuarter(area.end_period) ?? null
      if (!end) throw badRequest(`${where}: end_period must be a quarter like 2024Q3`)
      if (end < start)
        throw badRequest(`${where}: end_period ${end} is before start_period ${start}`)
    }
    if (!(await areasRepository.find(area.area_code, trx))) {
      throw badRequest(`${where}: unknown area; upload its snapshots first`)
    }
    rows.push({ area_code: area.area_code, start_period: start, end_period: end })
  }
  return rows
}
