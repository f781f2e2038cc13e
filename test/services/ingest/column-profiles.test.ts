import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sharedDir } from '../../helper.js'
import { AppError } from '../../../services/errors.js'
import { columnMapping, kwbProfile } from '../../../services/ingest/column-profiles.js'
import { requiredColumns, snapshotColumns } from '../../../services/ingest/snapshot-validator.js'
import { valueColumns } from '../../../models/vocabulary/indicators.js'

/**
 * services/ingest/column-profiles.ts: the `?columns=` parameter, a built-in profile (kwb) or a
 * JSON object of source header → snapshot column, refused with a 400 naming what is wrong.
 */

const kwbKeys = new Set(
  (
    JSON.parse(
      readFileSync(join(sharedDir, 'geo', 'kwb_2024_85984NED_DataProperties.json'), 'utf8'),
    ) as {
      Key: string
    }[]
  ).map((entry) => entry.Key),
)

/** The 400 a call throws, for asserting its message. */
function refusal(parameter: string): AppError {
  try {
    columnMapping(parameter)
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error(`columnMapping(${parameter}) did not throw`)
}

t.test('columnMapping', async (t) => {
  t.test('when nothing or blank is given, then there is no mapping', async (t) => {
    t.equal(columnMapping(undefined), undefined)
    t.equal(columnMapping('  '), undefined)
  })

  t.test(
    'when kwb is given in any case, then the KWB headers map to snapshot columns',
    async (t) => {
      const mapping = columnMapping('KWB')!
      t.equal(mapping.name, 'kwb')
      t.equal(mapping.targets.get('codering_3'), 'area_code')
      t.equal(mapping.targets.get('wijkenenbuurten'), 'area_name')
      t.equal(mapping.targets.get('perioden'), 'period')
      t.equal(mapping.sources.get('period'), 'Perioden')
    },
  )

  t.test(
    'when the kwb profile is read, then it fills every required and value column once',
    async (t) => {
      const targets = kwbProfile.map((entry) => entry.target)
      t.same([...new Set(targets)].length, targets.length, 'no column has two sources')
      for (const column of [...requiredColumns, ...valueColumns]) {
        t.ok(targets.includes(column), `${column} has a KWB-style source`)
      }
    },
  )

  t.test(
    'when the kwb profile names a real KWB key, then the 85984NED dictionary has it',
    async (t) => {
      // the region keys exist in KWB; the youth columns are declared as not in KWB
      for (const entry of kwbProfile) {
        if (entry.meaning.startsWith('not in KWB')) {
          t.notOk(kwbKeys.has(entry.source), `${entry.source} does not pretend to be a KWB key`)
        } else if (entry.source !== 'Perioden') {
          t.ok(kwbKeys.has(entry.source), `${entry.source} is a key of 85984NED`)
        }
      }
    },
  )

  t.test('when a JSON object is given, then its pairs are the mapping', async (t) => {
    const mapping = columnMapping('{"Code":"area_code"," Kwartaal ":"PERIOD"}')!
    t.equal(mapping.name, 'custom')
    t.same(
      [...mapping.targets],
      [
        ['code', 'area_code'],
        ['kwartaal', 'period'],
      ],
    )
  })

  t.test('when a target is not a snapshot column, then 400 names it and the columns', async (t) => {
    const error = refusal('{"Codering_3":"area_code","AantalInwoners_5":"inhabitants"}')
    t.equal(error.statusCode, 400)
    t.equal(error.code, 'bad_request')
    t.match(error.message, /"AantalInwoners_5" to "inhabitants", which is not a snapshot column/)
    t.match(error.message, snapshotColumns.join(', '))
  })

  t.test('when two sources map to one target, then 400 names both', async (t) => {
    const error = refusal('{"Codering_3":"area_code","WijkenEnBuurten":"area_code"}')
    t.equal(error.statusCode, 400)
    t.match(error.message, /both "Codering_3" and "WijkenEnBuurten" to area_code/)
  })

  t.test('when one source is given twice in another case, then 400 says so', async (t) => {
    t.match(
      refusal('{"Code":"area_code","CODE":"period"}').message,
      /names the source "CODE" twice/,
    )
  })

  t.test(
    'when the text is no profile, no JSON or no object, then 400 explains the form',
    async (t) => {
      t.match(refusal('statline').message, /unknown column profile "statline": columns must be/)
      t.match(refusal('{"Code":').message, /not valid JSON/)
      t.match(refusal('{}').message, /empty object/)
      t.match(refusal('{"Code":1}').message, /maps "Code" to 1: a target must be/)
      t.match(refusal('{"":"area_code"}').message, /empty source header/)
    },
  )
})
