import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { DidPanelRow } from '../../../../models/effects/did/index.js'

/** Test support: the did package's mpdta panel and expected values, read from ../shared/reference. */
export const referenceDir = fileURLToPath(
  new URL('../../../../../shared/reference/', import.meta.url),
)

/** mpdta as long rows: unit countyreal, time year, outcome lemp, group first.treat. */
export function readMpdta(): DidPanelRow[] {
  const lines = readFileSync(referenceDir + 'mpdta.csv', 'utf8')
    .trim()
    .split('\n')
  const header = lines[0].split(',').map((name) => name.replace(/"/g, ''))
  const column = (name: string) => header.indexOf(name)
  return lines.slice(1).map((line) => {
    const fields = line.split(',').map((field) => field.replace(/"/g, ''))
    return {
      unit: fields[column('countyreal')],
      time: Number(fields[column('year')]),
      outcome: Number(fields[column('lemp')]),
      group: Number(fields[column('first.treat')]),
    }
  })
}

interface ExpectedCell {
  group: number
  t: number
  att: number
  se: number
}
interface ExpectedAggregate {
  overall_att: number
  overall_se: number
  by: { egt: number; att: number; se: number }[]
}
export interface MpdtaExpected {
  att_gt: ExpectedCell[]
  aggte: Record<'simple' | 'group' | 'dynamic' | 'calendar', ExpectedAggregate>
}

/** R did 2.5.x full-precision values, scenario mpdta_nev_dr (README section 1). */
export function readMpdtaExpected(): MpdtaExpected {
  const json = JSON.parse(readFileSync(referenceDir + 'mpdta_did_expected.json', 'utf8')) as {
    r_did_full_precision: { nevertreated_dr: MpdtaExpected }
  }
  return json.r_did_full_precision.nevertreated_dr
}
