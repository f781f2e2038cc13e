import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, engines, sharedDir } from '../../../helper.js'
import { csv, fullHeader } from '../../../support/snapshot-fixtures.js'
import { kwbProfile } from '../../../../services/ingest/column-profiles.js'
import { baseColumn, countColumns, valueColumns } from '../../../../models/vocabulary/indicators.js'

/**
 * POST /v1/snapshots with real CBS tables (issue 16): StatLine/KWB headers through
 * `?columns=kwb` or a JSON mapping, StatLine periods, files saved by Dutch Excel in
 * Windows-1252, thousands separators and StatLine's all-quoted `;` exports. The KWB sample is
 * read from ../shared/geo by path.
 */

const kwbSample = readFileSync(
  join(sharedDir, 'geo', 'kwb_2024_85984NED_sample_GM_WK0363_WK0518.csv'),
  'utf8',
)

/** The profile's source header of a snapshot column. */
const kwbName = (column: string) => kwbProfile.find((entry) => entry.target === column)!.source

/**
 * The KWB sample with the columns KWB lacks added under their KWB-style names: a quarter, and
 * synthetic youth counts (about 7% of the inhabitants, each count a small share of that).
 */
function kwbWithYouthColumns(period = '2024KW01'): { text: string; rows: number } {
  const [header, ...lines] = kwbSample.trimEnd().split(/\r?\n/)
  const added = [kwbName('period'), ...valueColumns.map(kwbName)]
  const rows = lines.map((line) => {
    const inhabitants = Number(line.split(',')[1])
    const youth = Math.round(inhabitants * 0.07)
    const counts = countColumns.map((_, index) => Math.floor(youth / (20 + index)))
    return [line, period, youth, ...counts].join(',')
  })
  return { text: [`${header},${added.join(',')}`, ...rows].join('\n') + '\n', rows: rows.length }
}

async function stored(app: FastifyInstance) {
  const count = async (table: string) => Number((await app.knex(table).count({ n: '*' }))[0].n)
  return { snapshots: await count('snapshots'), batches: await count('upload_batches') }
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())

    const postCsv = (body: string | Buffer, query = '') =>
      app.inject({
        method: 'POST',
        url: `/v1/snapshots${query}`,
        headers: { ...admin, 'content-type': 'text/csv' },
        payload: body,
      })

    t.test('POST /v1/snapshots?columns=kwb', async (t) => {
      t.test(
        'when the KWB sample carries a period and youth counts under KWB-style names, then every row is stored',
        async (t) => {
          const upload = kwbWithYouthColumns()
          t.equal(upload.rows, 496, 'the sample has 496 areas')
          const response = await postCsv(upload.text, '?columns=kwb')
          t.equal(response.statusCode, 201, response.body.slice(0, 600))
          t.match(response.json(), { rows: 496, inserted: 496, revised: 0, unchanged: 0 })
          t.same(response.json().ignored_columns, [
            'AantalInwoners_5',
            'Mannen_6',
            'Vrouwen_7',
            'Bevolkingsdichtheid_34',
            'Woningvoorraad_35',
            'OppervlakteTotaal_122',
            'OppervlakteLand_123',
            'OppervlakteWater_124',
          ])
          // GM0518 has 566 221 inhabitants in KWB 2024; 7% of them is its base
          const denHaag = await app.knex('snapshots').where({ area_code: 'GM0518' }).first()
          t.equal(denHaag.period, '2024Q1')
          t.equal(denHaag[baseColumn], Math.round(566221 * 0.07))
          const letterCode = await app.knex('snapshots').where({ area_code: 'WK0363AF' }).first()
          t.ok(letterCode, 'an Amsterdam letter code is stored')
        },
      )

      t.test(
        'when the KWB sample comes as it is, then 422 names the period and youth columns missing',
        async (t) => {
          const response = await postCsv(kwbSample, '?columns=kwb')
          t.equal(response.statusCode, 422)
          const { details } = response.json().error
          // each row then also lacks its values; the header's findings come first, on row 1
          t.same(
            details.errors
              .filter((error: { row: number }) => error.row === 1)
              .map((error: { row: number; column: string }) => [error.row, error.column]),
            [[1, 'period'], ...valueColumns.map((column) => [1, column])].sort((a, b) =>
              String(a[1]) < String(b[1]) ? -1 : 1,
            ),
          )
          const periodError = details.errors.find(
            (error: { column: string }) => error.column === 'period',
          )
          t.match(periodError.message, /reads it from a column "Perioden"/)
          t.same(await stored(app), { snapshots: 0, batches: 0 })
        },
      )

      t.test(
        'when the KWB sample has no mapping, then its headers are unknown columns',
        async (t) => {
          const response = await postCsv(kwbWithYouthColumns().text)
          t.equal(response.statusCode, 422)
          t.match(response.json().error.details.errors[0], {
            row: 1,
            column: 'AantalInwoners_5',
            message: /unknown column/,
          })
        },
      )

      t.test('when a StatLine period is a year, then the row is refused as a year', async (t) => {
        const response = await postCsv(kwbWithYouthColumns('2024JJ00').text, '?columns=kwb')
        t.equal(response.statusCode, 422)
        const { details } = response.json().error
        t.equal(details.total, 496)
        t.same(details.errors[0], {
          row: 2,
          column: 'period',
          message:
            '"2024JJ00" is a year (StatLine\'s JJ00), not a quarter: upload one row per quarter (2024KW01 … 2024KW04)',
        })
        t.same(await stored(app), { snapshots: 0, batches: 0 })
      })
    })

    t.test('POST /v1/snapshots?columns={…}', async (t) => {
      const mapping = encodeURIComponent(
        JSON.stringify({ Code: 'area_code', Naam: 'area_name', Kwartaal: 'period' }),
      )
      const header = `Code;Naam;Kwartaal;${valueColumns.join(';')};Opmerking`

      t.test(
        'when a CSV is mapped, then it is stored and the unmapped column ignored',
        async (t) => {
          const response = await postCsv(
            csv(header, 'BU05180101;Centrum;2024KW03;150;1;2;3;4;voorlopig'),
            `?columns=${mapping}`,
          )
          t.equal(response.statusCode, 201, response.body.slice(0, 600))
          t.same(response.json().ignored_columns, ['Opmerking'])
          const area = await app.knex('areas').where({ area_code: 'BU05180101' }).first()
          t.equal(area.area_name, 'Centrum')
        },
      )

      t.test('when a JSON body is mapped, then its keys map as CSV headers do', async (t) => {
        const row = Object.fromEntries([
          ['Code', 'BU05180101'],
          ['Kwartaal', '2024KW02'],
          ['Extra', 'x'],
          ...valueColumns.map((column, index) => [column, 100 - index]),
        ])
        const response = await app.inject({
          method: 'POST',
          url: `/v1/snapshots?columns=${mapping}`,
          headers: admin,
          payload: [row, { ...row, Kwartaal: '2024KW03' }],
        })
        t.equal(response.statusCode, 201, response.body.slice(0, 600))
        t.match(response.json(), { rows: 2, inserted: 2, ignored_columns: ['Extra'] })
      })

      t.test(
        'when a target is unknown or taken twice, then 400 before anything is read',
        async (t) => {
          const unknown = await postCsv(
            csv(header),
            `?columns=${encodeURIComponent('{"Code":"area_code","Inwoners":"inhabitants"}')}`,
          )
          t.equal(unknown.statusCode, 400)
          t.match(unknown.json().error, {
            code: 'bad_request',
            message: /"Inwoners" to "inhabitants", which is not a snapshot column/,
          })
          const twice = await postCsv(
            csv(header),
            `?columns=${encodeURIComponent('{"Code":"area_code","Naam":"area_code"}')}`,
          )
          t.equal(twice.statusCode, 400)
          t.match(twice.json().error.message, /both "Code" and "Naam" to area_code/)
          t.same(await stored(app), { snapshots: 0, batches: 0 })
        },
      )

      t.test('when a query parameter is unknown or repeated, then 400 names it', async (t) => {
        const unknown = await postCsv(csv(fullHeader), '?column=kwb')
        t.equal(unknown.statusCode, 400)
        t.match(unknown.json().error.message, /unknown query parameter "column"/)
        const repeated = await postCsv(csv(fullHeader), '?columns=kwb&columns=kwb')
        t.equal(repeated.statusCode, 400)
        t.match(repeated.json().error.message, /columns must be given once/)
      })
    })

    t.test('POST /v1/snapshots (Windows-1252)', async (t) => {
      const names = [
        'Scheveningen-Badplaats',
        'Zuidwijk Hoogeveen',
        "'s-Gravenzande Café ’t Hoekje",
        'Ruïne',
      ]
      const text = csv(
        fullHeader,
        `BU05180101,${names[0]},2024Q3,100,1,2,3,4`,
        `BU05180102,${names[1]},2024Q3,100,1,2,3,4`,
        `BU05180103,${names[2]},2024Q3,100,1,2,3,4`,
        `BU05180104,${names[3]},2024Q3,100,1,2,3,4`,
      )
      /** The file as Dutch Excel saves it: one byte per character. */
      const windows1252 = Buffer.from(
        [...text].map((character) => {
          const special: Record<string, number> = { é: 0xe9, ï: 0xef, '’': 0x92 }
          return special[character] ?? character.charCodeAt(0)
        }),
      )

      t.test(
        'when a file saved by Dutch Excel comes, then 422 names the row and the way out',
        async (t) => {
          const response = await postCsv(windows1252)
          t.equal(response.statusCode, 422)
          const errors = response.json().error.details.errors
          t.same(
            errors.map((error: { row: number; column: null }) => [error.row, error.column]),
            [
              [4, null],
              [5, null],
            ],
          )
          t.match(errors[0].message, /^the record is not valid UTF-8 text \(column "area_name": /)
          t.match(
            errors[0].message,
            /looks saved as Windows-1252.*save it as "CSV UTF-8.*\?charset=windows-1252/,
          )
          t.same(await stored(app), { snapshots: 0, batches: 0 })
        },
      )

      t.test(
        'when charset=windows-1252 is given, then the names are stored as written',
        async (t) => {
          const response = await postCsv(windows1252, '?charset=windows-1252')
          t.equal(response.statusCode, 201, response.body.slice(0, 600))
          const stored = await app
            .knex('areas')
            .where('area_code', 'like', 'BU%')
            .orderBy('area_code')
            .pluck('area_name')
          t.same(stored, names)
        },
      )

      t.test(
        'when a UTF-8 file is sent as windows-1252, then 422 says it is UTF-8 already',
        async (t) => {
          const response = await postCsv(text, '?charset=windows-1252')
          t.equal(response.statusCode, 422)
          t.match(response.json().error.details.errors, [
            {
              row: 4,
              column: 'area_name',
              message: /the file is UTF-8 text already.*upload it without \?charset=windows-1252/,
            },
          ])
          t.same(await stored(app), { snapshots: 0, batches: 0 })
        },
      )

      t.test('when a binary body comes, then no Windows-1252 hint is given', async (t) => {
        const binary = Buffer.concat([
          Buffer.from(`${fullHeader}\n`),
          // the first bytes of a PNG file
          Buffer.from([
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x01, 0xf4, 0x0a,
          ]),
        ])
        const response = await postCsv(binary)
        t.equal(response.statusCode, 422)
        const messages = response
          .json()
          .error.details.errors.map((e: { message: string }) => e.message)
        t.notMatch(messages.join('\n'), /Windows-1252/)
      })

      t.test('when an unknown charset or a charset on JSON comes, then 400', async (t) => {
        const unknown = await postCsv(text, '?charset=latin-9')
        t.equal(unknown.statusCode, 400)
        t.match(unknown.json().error.message, /charset "latin-9" is not supported/)
        const json = await app.inject({
          method: 'POST',
          url: '/v1/snapshots?charset=windows-1252',
          headers: admin,
          payload: [],
        })
        t.equal(json.statusCode, 400)
        t.match(json.json().error.message, /a JSON body is always UTF-8/)
      })
    })

    t.test('POST /v1/snapshots (numbers and quoting of real exports)', async (t) => {
      t.test(
        'when a count has a thousands dot, then 422 names it with row and column',
        async (t) => {
          const response = await postCsv(
            csv(
              fullHeader.replaceAll(',', ';'),
              'GM0518;Den Haag;2024KW01;39.635;1;2;3;4',
              'GM0363;Amsterdam;2024KW01;61000;1.640;2;3;4',
            ),
          )
          t.equal(response.statusCode, 422)
          t.match(response.json().error.details.errors, [
            {
              row: 2,
              column: baseColumn,
              message: /got "39\.635" with a thousands dot.*write 39635/,
            },
            {
              row: 3,
              column: countColumns[0],
              message: /got "1\.640" with a thousands dot.*write 1640/,
            },
          ])
          t.same(await stored(app), { snapshots: 0, batches: 0 })
        },
      )

      t.test(
        'when a StatLine export quotes everything and uses ;, then it is stored',
        async (t) => {
          const quote = (cells: string[]) => cells.map((cell) => `"${cell}"`).join(';')
          const body =
            '\uFEFF' +
            [
              quote(['Codering_3', 'WijkenEnBuurten', 'Perioden', ...valueColumns.map(kwbName)]),
              quote(['WK051828  ', 'Centrum; binnenstad', '2024KW03', '1500', '.', '12', '', '3']),
              quote([
                'GM0518    ',
                "'s-Gravenhage",
                '2024KW03',
                '40000',
                '300',
                '120',
                '-99997',
                '60',
              ]),
            ].join('\r\n') +
            '\r\n'
          const response = await postCsv(body, '?columns=kwb')
          t.equal(response.statusCode, 201, response.body.slice(0, 600))
          const rows = await app.knex('snapshots').orderBy('area_code').select('*')
          t.same(
            rows.map((row) => [row.area_code, row.period, ...valueColumns.map((c) => row[c])]),
            [
              ['GM0518', '2024Q3', 40000, 300, 120, null, 60],
              ['WK051828', '2024Q3', 1500, null, 12, null, 3],
            ],
          )
          const district = await app.knex('areas').where({ area_code: 'WK051828' }).first()
          t.equal(district.area_name, 'Centrum; binnenstad')
        },
      )
    })
  })
}
