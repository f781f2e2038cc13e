import t from 'tap'
import { buildTestApp, engines } from '../../../helper.js'

/**
 * POST and GET /v1/area-links (issue 16) with the use case behind them
 * (services/use-cases/upload-area-links.ts) on each engine: links stored all or nothing, an
 * upload replacing the earlier links of the areas it gives, the data version moving, the list
 * by code and division year.
 */

const amsterdamCsv = [
  'from_year,from_code,to_year,to_code,weight',
  '2022,WK036393,2023,WK0363TB,0.36',
  '2022,WK036393,2023,WK0363TC,0.39',
  '2022,WK036393,2023,WK0363TD,0.26',
  '2022,WK036378,2023,WK0363FB,1',
  '2022,WK036379,2023,WK0363FB,1',
  '2022,GM0457,2023,GM0363,1',
].join('\n')

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())
    const post = (payload: string | object, contentType = 'text/csv') =>
      app.inject({
        method: 'POST',
        url: '/v1/area-links',
        headers: { ...admin, 'content-type': contentType },
        payload,
      })
    const list = async (query = '') => {
      const response = await app.inject({
        method: 'GET',
        url: `/v1/area-links${query}`,
        headers: admin,
      })
      t.equal(response.statusCode, 200, response.body)
      return response.json() as {
        items: Array<{ from_code: string; to_code: string; weight: number; source: string }>
        total: number
      }
    }

    t.test('POST /v1/area-links', async (t) => {
      t.test('when Amsterdam 2022→2023 is uploaded, then every link is stored', async (t) => {
        const before = await app.snapshotsRepository.dataVersion()
        const response = await post(amsterdamCsv)
        t.equal(response.statusCode, 201, response.body)
        t.same(response.json(), { stored: 6, replaced: 0, areas: 4 })
        t.not(await app.snapshotsRepository.dataVersion(), before, 'the data version moved')
        const stored = await list('?limit=100')
        t.equal(stored.total, 6)
        t.match(stored.items[0], {
          from_year: 2022,
          from_code: 'GM0457',
          to_year: 2023,
          to_code: 'GM0363',
          weight: 1,
          source: 'upload',
          created_at: /Z$/,
        })
      })

      t.test('when an area is given again, then its earlier links are replaced', async (t) => {
        await post(amsterdamCsv)
        const response = await post(
          [
            {
              from_year: 2022,
              from_code: 'WK036393',
              to_year: 2023,
              to_code: 'WK0363TB',
              weight: 0.5,
            },
            {
              from_year: 2022,
              from_code: 'WK036393',
              to_year: 2023,
              to_code: 'WK0363TC',
              weight: 0.5,
            },
          ],
          'application/json',
        )
        t.equal(response.statusCode, 201, response.body)
        t.same(response.json(), { stored: 2, replaced: 3, areas: 1 })
        const split = await list('?code=WK036393')
        t.same(
          split.items.map((link) => [link.to_code, link.weight]),
          [
            ['WK0363TB', 0.5],
            ['WK0363TC', 0.5],
          ],
        )
        t.equal((await list()).total, 5, 'the other areas kept theirs')
      })

      t.test(
        'when one row breaks a rule, then nothing is stored and the row is named',
        async (t) => {
          const response = await post(`${amsterdamCsv}\n2022,WK036394,2023,WK0363TE,0.5`)
          t.equal(response.statusCode, 422, response.body)
          t.match(response.json().error, {
            code: 'invalid_rows',
            details: {
              total: 1,
              errors: [{ row: 8, column: 'weight', message: /WK036394 \(2022\) sum to 0.5/ }],
            },
          })
          t.equal((await list()).total, 0, 'all or nothing')
        },
      )

      t.test(
        'when a spreadsheet saves ; with a BOM, upper-case headers and decimal commas, then it is read',
        async (t) => {
          const response = await post(
            '\ufeffFROM_YEAR;From_Code;to_year;to_code;weight\n2022;WK036393;2023;WK0363TB;0,5\n' +
              '2022;WK036393;2023;WK0363TC;0,5\n',
          )
          t.equal(response.statusCode, 201, response.body)
          t.same(response.json(), { stored: 2, replaced: 0, areas: 1 })
        },
      )

      t.test(
        'when a row is bad after a blank line, then its spreadsheet row is named',
        async (t) => {
          const response = await post(`${amsterdamCsv}\n\n2022,WK036394,2023,WK0363TE,2`)
          t.equal(response.statusCode, 422, response.body)
          const [error] = response.json().error.details.errors
          t.match(error, { column: 'weight', message: /at most 1, got "2"/ })
          t.equal(error.row, 9, 'the blank line 8 counts, as in a spreadsheet')
        },
      )

      t.test(
        'when the bytes are not UTF-8, then the row is named and nothing stored',
        async (t) => {
          const response = await post(
            Buffer.concat([
              Buffer.from(
                'from_year,from_code,to_year,to_code,weight\n2022,GM0457,2023,GM0363,1\n',
              ),
              Buffer.from([0x32, 0x30, 0x32, 0x32, 0x2c, 0xff, 0xfe, 0x0a]),
            ]) as unknown as string,
          )
          t.equal(response.statusCode, 422, response.body)
          t.match(response.json().error.details.errors[0], { row: 3, message: /UTF-8/ })
          t.equal((await list()).total, 0)
        },
      )

      t.test('when the body is not a link table, then 415 or 422 say what is wrong', async (t) => {
        t.equal((await post('from_year', 'text/plain')).statusCode, 415)
        const notArray = await post({ from_year: 2022 }, 'application/json')
        t.equal(notArray.statusCode, 422, notArray.body)
        t.match(notArray.json().error.details.errors[0].message, /JSON array/)
        const empty = await post('from_year,from_code,to_year,to_code,weight\n')
        t.equal(empty.statusCode, 422)
        t.match(empty.json().error.details.errors[0].message, /no rows/)
      })
    })

    t.test('GET /v1/area-links', async (t) => {
      t.test('when asked by code or year, then links from and to it come, paged', async (t) => {
        await post(amsterdamCsv)
        const merged = await list('?code=WK0363FB')
        t.same(
          merged.items.map((link) => link.from_code),
          ['WK036378', 'WK036379'],
          'links into a code are listed too',
        )
        t.equal((await list('?year=2023')).total, 6)
        t.equal((await list('?year=2021')).total, 0)
        const page = await list('?limit=2&offset=2')
        t.same([page.items.length, page.total], [2, 6])
      })

      t.test('when the code is not a CBS code, then 400', async (t) => {
        const response = await app.inject({
          method: 'GET',
          url: '/v1/area-links?code=WK36393',
          headers: admin,
        })
        t.equal(response.statusCode, 400)
      })
    })
  })
}
