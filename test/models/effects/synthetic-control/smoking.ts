import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { SyntheticControlPanel } from '../../../../models/effects/synthetic-control/index.js'

/** Test support: ADH (2010) Proposition 99 panel from ../shared/reference, wide, one unit per state. */
const referenceDir = fileURLToPath(new URL('../../../../../shared/reference/', import.meta.url))

export function readSmoking(): SyntheticControlPanel {
  const lines = readFileSync(referenceDir + 'smoking.csv', 'utf8')
    .trim()
    .split('\n')
  const header = lines[0].split(',')
  const rows = lines.slice(1).map((line) => {
    const fields = line.split(',')
    return Object.fromEntries(header.map((name, index) => [name, fields[index]]))
  })
  const value = (text: string | undefined) =>
    text === undefined || text === '' ? Number.NaN : Number(text)
  const times = Array.from({ length: 31 }, (_, index) => 1970 + index)
  const states = [...new Set(rows.map((row) => row.state))]
  const units = states.map((state) => {
    const byYear = new Map(
      rows.filter((row) => row.state === state).map((row) => [Number(row.year), row]),
    )
    const series = (name: string) => times.map((year) => value(byYear.get(year)?.[name]))
    return {
      id: state,
      outcome: series('cigsale'),
      covariates: {
        lnincome: series('lnincome'),
        beer: series('beer'),
        age15to24: series('age15to24'),
        retprice: series('retprice'),
      },
    }
  })
  return { times, units }
}

/** The README §2 predictor specification (ADH 2010 / Synth). */
export const smokingPredictors = [
  { variable: 'lnincome', from: 1980, to: 1988 },
  { variable: 'retprice', from: 1980, to: 1988 },
  { variable: 'age15to24', from: 1980, to: 1988 },
  { variable: 'beer', from: 1984, to: 1988 },
  { variable: 'outcome', from: 1975, to: 1975, name: 'cigsale_1975' },
  { variable: 'outcome', from: 1980, to: 1980, name: 'cigsale_1980' },
  { variable: 'outcome', from: 1988, to: 1988, name: 'cigsale_1988' },
]
