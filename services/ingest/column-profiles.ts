import { badRequest } from '../errors.js'
import { baseColumn, indicatorVocabulary } from '../../models/vocabulary/indicators.js'
import { snapshotColumns, type SnapshotColumn } from './snapshot-validator.js'

/**
 * Column mappings for snapshot uploads (`?columns=` on `POST /v1/snapshots`, `--columns` on
 * `aanwas import`): real CBS tables name their columns their own way (StatLine/KWB keys such as
 * `Codering_3` and `Perioden`), and re-typing a header in a spreadsheet is how uploads go wrong.
 * A mapping renames source headers to snapshot columns; the validator then applies the very same
 * rules (DESIGN.md §1).
 *
 * Under a mapping a header that is neither mapped nor a snapshot column is ignored and listed in
 * the answer (`ignored_columns`): a KWB table carries dozens of other aggregate columns
 * (`AantalInwoners_5`, `Woningvoorraad_35`, …) that the caller chose not to map, and none of
 * them is ever stored. Without a mapping the contract stays strict: any other column rejects
 * the upload.
 */
export interface ColumnMapping {
  /** how the caller named it: `kwb`, or `custom` for a JSON mapping */
  name: string
  /** lower-cased source header → snapshot column */
  targets: ReadonlyMap<string, SnapshotColumn>
  /** snapshot column → the source headers that feed it, as the mapping spells them */
  sources: ReadonlyMap<SnapshotColumn, string>
}

/** One entry of a built-in profile: the source header, the column it fills and why. */
export interface ProfileEntry {
  source: string
  target: SnapshotColumn
  meaning: string
}

type CountLabel = (typeof indicatorVocabulary)['counts'][number]['label']

/**
 * KWB-style names for the youth counts. No KWB table carries them (they come from the police,
 * HALT, DUO and the debt registries, per neighbourhood and quarter), so these are the names a
 * municipality's own StatLine-like extract is asked to use: Dutch, CamelCase like the KWB keys,
 * without KWB's running number (which would claim a place in table 85984NED they do not have).
 * Keyed by the vocabulary's label, so a count added to the vocabulary does not compile until it
 * has a name here.
 */
const kwbCountNames: Record<CountLabel, string> = {
  'early school leaving': 'VoortijdigSchoolverlaters',
  'HALT registrations': 'JongerenMetHaltRegistratie',
  'parental debt': 'JongerenMetOudersMetProblematischeSchulden',
  'young suspects': 'JongeVerdachtenDrugsdelicten',
}

/**
 * The `kwb` profile: the headers of CBS "Kerncijfers wijken en buurten" (85984NED and its
 * yearly successors, see `../shared/geo/kwb_2024_85984NED_DataProperties.json`) and of StatLine
 * exports, then KWB-style names for what KWB does not have. `Gemeentenaam_1` is not mapped: on
 * a district row it names the municipality, not the district. `AantalInwoners_5` is not the base
 * either: the base counts residents aged 13 to 18, which no KWB age band (`k_15Tot25Jaar_9`)
 * matches.
 */
export const kwbProfile: readonly ProfileEntry[] = [
  {
    source: 'Codering_3',
    target: 'area_code',
    meaning:
      'KWB "Codering": GM/WK/BU code (StatLine pads it to 10 characters; spaces are trimmed)',
  },
  {
    source: 'WijkenEnBuurten',
    target: 'area_name',
    meaning: 'KWB "Wijken en buurten": the name of the area',
  },
  {
    source: 'Perioden',
    target: 'period',
    meaning: 'StatLine period code, a quarter such as 2024KW03 (a year 2024JJ00 is refused)',
  },
  {
    source: 'Jongeren13Tot18Jaar',
    target: baseColumn,
    meaning: 'not in KWB: residents aged 13 to 18 at the start of the quarter',
  },
  ...indicatorVocabulary.counts.map((entry) => ({
    source: kwbCountNames[entry.label],
    target: entry.column,
    meaning: `not in KWB: ${entry.label}`,
  })),
]

/** The built-in profiles by the name `?columns=` takes. */
export const columnProfiles: Readonly<Record<string, readonly ProfileEntry[]>> = {
  kwb: kwbProfile,
}

/** A one-line description of a profile, for the OpenAPI document and the CLI's help. */
export function describeProfile(entries: readonly ProfileEntry[]): string {
  return entries.map((entry) => `${entry.source} → ${entry.target}`).join(', ')
}

const usage =
  'columns must be a profile name (kwb) or a JSON object of source header → snapshot column, ' +
  'e.g. {"Codering_3":"area_code","Perioden":"period"}'

/**
 * Reads the `columns` parameter: a profile name or a JSON object. Undefined or empty means no
 * mapping. Throws a 400 `bad_request` naming what is wrong: not JSON, not an object, a target
 * that is not a snapshot column, two sources for one target, one source given twice.
 */
export function columnMapping(parameter: string | undefined): ColumnMapping | undefined {
  if (parameter === undefined || parameter.trim() === '') return undefined
  const text = parameter.trim()
  const profile = columnProfiles[text.toLowerCase()]
  if (profile) {
    return buildMapping(
      text.toLowerCase(),
      profile.map((entry) => [entry.source, entry.target]),
    )
  }
  if (!text.startsWith('{')) {
    throw badRequest(`unknown column profile "${text}": ${usage}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw badRequest(`columns is not valid JSON (${(error as Error).message}): ${usage}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest(usage)
  }
  const pairs: [string, string][] = []
  for (const [source, target] of Object.entries(parsed as Record<string, unknown>)) {
    if (source.trim() === '') throw badRequest(`columns has an empty source header: ${usage}`)
    if (typeof target !== 'string') {
      throw badRequest(
        `columns maps "${source}" to ${JSON.stringify(target)}: a target must be the name of a snapshot column`,
      )
    }
    pairs.push([source, target])
  }
  if (pairs.length === 0) throw badRequest(`columns is an empty object: ${usage}`)
  return buildMapping('custom', pairs)
}

function buildMapping(name: string, pairs: readonly [string, string][]): ColumnMapping {
  const targets = new Map<string, SnapshotColumn>()
  const sources = new Map<SnapshotColumn, string>()
  for (const [source, rawTarget] of pairs) {
    const target = rawTarget.trim().toLowerCase()
    if (!(snapshotColumns as readonly string[]).includes(target)) {
      throw badRequest(
        `columns maps "${source}" to "${rawTarget}", which is not a snapshot column (${snapshotColumns.join(', ')})`,
      )
    }
    const key = source.trim().toLowerCase()
    if (targets.has(key)) {
      // JSON.parse keeps the last of two equal keys, so only a difference in case gets here
      throw badRequest(
        `columns names the source "${source}" twice (headers are matched case-insensitively)`,
      )
    }
    const column = target as SnapshotColumn
    const earlier = sources.get(column)
    if (earlier !== undefined) {
      throw badRequest(
        `columns maps both "${earlier}" and "${source}" to ${column}: a snapshot column takes one source`,
      )
    }
    targets.set(key, column)
    sources.set(column, source.trim())
  }
  return { name, targets, sources }
}
