import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildTestApp, createKey, engines, sharedDir } from '../../../helper.js'

const denHaagBuurten = join(sharedDir, 'geo', 'denhaag_GM0518_buurten_2015.geojson')
const gemeenten = join(sharedDir, 'geo', 'haaglanden_gemeenten_2015.geojson')
const haveGeo = existsSync(denHaagBuurten) && existsSync(gemeenten)
const haaglanden = join(sharedDir, 'geo', 'haaglanden_buurten_2015.geojson')
const denHaagRd = join(sharedDir, 'geo', 'denhaag_GM0518_buurten_2022_rd.geojson')
const amsterdam2023 = join(sharedDir, 'geo', 'amsterdam_GM0363_wijken_2023_subset.geojson')

const square = (x: number, y: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, y],
      [x + 0.01, y],
      [x + 0.01, y + 0.01],
      [x, y + 0.01],
      [x, y],
    ],
  ],
})

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())
    const post = (body: unknown, query = '', headers: Record<string, string> = admin) =>
      app.inject({
        method: 'POST',
        url: `/v1/geometries${query}`,
        headers,
        payload: body as object,
      })

    t.test('POST /v1/geometries', async (t) => {
      t.test(
        'when the real Den Haag neighbourhood boundaries are posted, then 114 areas with names and parents exist',
        { skip: !haveGeo && `no ${denHaagBuurten}` },
        async (t) => {
          const response = await post(JSON.parse(readFileSync(denHaagBuurten, 'utf8')))
          t.equal(response.statusCode, 201, response.body)
          t.same(response.json(), { features: 114, inserted: 114, updated: 0 })
          const area = await app.areasRepository.find('BU05180170')
          t.same(area, {
            area_code: 'BU05180170',
            area_name: 'Oostduinen',
            level: 'neighbourhood',
            parent_code: 'WK051801',
          })
          const collection = (
            await app.inject({
              method: 'GET',
              url: '/v1/geometries?municipality=GM0518',
              headers: admin,
            })
          ).json()
          t.equal(collection.type, 'FeatureCollection')
          t.equal(collection.features.length, 114)
          t.match(collection.features[0], {
            type: 'Feature',
            geometry: { type: /Polygon/ },
            properties: { area_code: /^BU0518/, level: 'neighbourhood' },
          })
          const again = await post(JSON.parse(readFileSync(denHaagBuurten, 'utf8')))
          t.same(again.json(), { features: 114, inserted: 0, updated: 114 })
        },
      )

      t.test(
        'when municipalities carry GM_CODE, then municipality areas are created',
        { skip: !haveGeo && `no ${gemeenten}` },
        async (t) => {
          const response = await post(JSON.parse(readFileSync(gemeenten, 'utf8')))
          t.equal(response.statusCode, 201)
          t.equal((await app.areasRepository.find('GM0503'))?.area_name, 'Delft')
        },
      )

      t.test(
        'when codes are numbers in gemeentecode, then a 4-digit number becomes GM + it',
        async (t) => {
          const response = await post({
            type: 'FeatureCollection',
            features: [
              {
                type: 'Feature',
                properties: { gemeentecode: 518, gemeentenaam: "'s-Gravenhage" },
                geometry: square(4.3, 52.07),
              },
            ],
          })
          t.equal(response.statusCode, 201, response.body)
          t.same(await app.areasRepository.find('GM0518'), {
            area_code: 'GM0518',
            area_name: "'s-Gravenhage",
            level: 'municipality',
            parent_code: null,
          })
        },
      )

      t.test(
        'when BU_CODE and WK_CODE are both present, then BU_CODE wins; code_property overrides',
        async (t) => {
          const feature = {
            type: 'Feature',
            properties: { BU_CODE: 'BU05180101', WK_CODE: 'WK051801', BU_NAAM: 'Een' },
            geometry: square(4.3, 52.07),
          }
          await post({ type: 'FeatureCollection', features: [feature] })
          t.equal((await app.areasRepository.find('BU05180101'))?.level, 'neighbourhood')
          await post(
            {
              type: 'FeatureCollection',
              features: [{ ...feature, properties: { mycode: 'WK051802' } }],
            },
            '?code_property=mycode',
          )
          t.equal((await app.areasRepository.find('WK051802'))?.level, 'district')
        },
      )

      t.test(
        'when a feature has no code or no polygon, then 422 names the feature and nothing is stored',
        async (t) => {
          const response = await post({
            type: 'FeatureCollection',
            features: [
              {
                type: 'Feature',
                properties: { BU_CODE: 'BU05180101' },
                geometry: square(4.3, 52.07),
              },
              { type: 'Feature', properties: { name: 'nothing' }, geometry: square(4.3, 52.07) },
              {
                type: 'Feature',
                properties: { BU_CODE: 'BU05180102' },
                geometry: { type: 'Point', coordinates: [4.3, 52.07] },
              },
            ],
          })
          t.equal(response.statusCode, 422)
          t.match(response.json().error.details.errors, [
            { row: 2 },
            { row: 3, column: 'geometry' },
          ])
          t.notOk(await app.areasRepository.find('BU05180101'))
        },
      )

      // Issue 14, finding 7: boundaries store area names too, under the same rule as uploads.
      t.test(
        'when a name is too long or holds a NUL or a bidi override, then 422 names the feature and its name property and nothing is stored',
        async (t) => {
          const feature = (code: string, name: string) => ({
            type: 'Feature',
            properties: { BU_CODE: code, BU_NAAM: name },
            geometry: square(4.3, 52.07),
          })
          const response = await post({
            type: 'FeatureCollection',
            features: [
              feature('BU05180101', 'Centrum'),
              feature('BU05180102', 'x'.repeat(201)),
              feature('BU05180103', 'Cen\u0000trum'),
              feature('BU05180104', '\u202Emurtnec'),
            ],
          })
          t.equal(response.statusCode, 422, response.body)
          t.match(response.json().error.details.errors, [
            { row: 2, column: 'BU_NAAM', message: /BU_NAAM must be at most 200 characters/ },
            { row: 3, column: 'BU_NAAM', message: /control character \(U\+0000/ },
            { row: 4, column: 'BU_NAAM', message: /bidirectional formatting character \(U\+202E/ },
          ])
          t.notOk(await app.areasRepository.find('BU05180101'))
        },
      )

      t.test(
        'when the Haaglanden 2015 buurten are posted, then 422 names the collapsed features; with ?skip_invalid=true they are listed and the rest stored',
        { skip: !existsSync(haaglanden) && `no ${haaglanden}` },
        async (t) => {
          const body = JSON.parse(readFileSync(haaglanden, 'utf8'))
          const rejected = await post(body)
          t.equal(rejected.statusCode, 422, rejected.body)
          t.match(rejected.json().error.details.errors, [
            {
              row: 206,
              column: 'geometry',
              message: /feature 206 \(BU05460505\).*skip_invalid=true/,
            },
            { row: 207, column: 'geometry', message: /feature 207 \(BU05460900\) has a Point/ },
            { row: 298, column: 'geometry', message: /feature 298 \(BU06380001\) has a Point/ },
          ])
          t.notOk(await app.areasRepository.find('BU05180170'), 'nothing stored')

          const response = await post(body, '?skip_invalid=true')
          t.equal(response.statusCode, 201, response.body)
          t.match(response.json(), {
            features: 436,
            inserted: 436,
            updated: 0,
            skipped: [
              {
                row: 206,
                area_code: 'BU05460505',
                rule: 'collapsed_geometry',
                reason: /MultiLineString/,
              },
              { row: 207, area_code: 'BU05460900', rule: 'collapsed_geometry', reason: /Point/ },
              { row: 298, area_code: 'BU06380001', rule: 'collapsed_geometry', reason: /Point/ },
            ],
          })
          t.equal(response.json().skipped.length, 3)
          t.equal((await app.areasRepository.find('BU05180170'))?.area_name, 'Oostduinen')
          t.notOk(await app.areasRepository.find('BU05460900'))
        },
      )

      t.test(
        'when skip_invalid is not true or false, or an unknown parameter is given, then 400 names it',
        async (t) => {
          const body = {
            type: 'FeatureCollection',
            features: [
              {
                type: 'Feature',
                properties: { BU_CODE: 'BU05180101' },
                geometry: square(4.3, 52.07),
              },
            ],
          }
          const yes = await post(body, '?skip_invalid=yes')
          t.equal(yes.statusCode, 400)
          t.match(yes.json().error, {
            code: 'bad_request',
            message: /skip_invalid must be true or false/,
          })
          const typo = await post(body, '?skip-invalid=true')
          t.equal(typo.statusCode, 400)
          t.match(typo.json().error.message, /unknown query parameter "skip-invalid"/)
          t.notOk(await app.areasRepository.find('BU05180101'))
          t.equal((await post(body, '?skip_invalid=false')).statusCode, 201)
        },
      )

      t.test(
        'when the RD New Den Haag file is posted, then it is stored in lon/lat and the answer says it was reprojected',
        { skip: !existsSync(denHaagRd) && `no ${denHaagRd}` },
        async (t) => {
          const response = await post(JSON.parse(readFileSync(denHaagRd, 'utf8')))
          t.equal(response.statusCode, 201, response.body)
          t.same(response.json(), {
            features: 114,
            inserted: 114,
            updated: 0,
            reprojected_from: 'EPSG:28992',
          })
          const collection = (
            await app.inject({
              method: 'GET',
              url: '/v1/geometries?municipality=GM0518',
              headers: admin,
            })
          ).json()
          const [longitude, latitude] = collection.features[0].geometry.coordinates[0][0]
          t.ok(longitude > 4.1 && longitude < 4.45 && latitude > 51.98 && latitude < 52.15)
        },
      )

      t.test(
        'when the Amsterdam 2023 wijken with letter codes are posted, then they are stored',
        { skip: !existsSync(amsterdam2023) && `no ${amsterdam2023}` },
        async (t) => {
          const response = await post(JSON.parse(readFileSync(amsterdam2023, 'utf8')))
          t.equal(response.statusCode, 201, response.body)
          t.same(response.json(), { features: 54, inserted: 54, updated: 0 })
          t.equal((await app.areasRepository.find('WK0363AF'))?.parent_code, 'GM0363')
        },
      )

      t.test(
        'when the OpenAPI document is read, then it documents skip_invalid and the skipped list',
        async (t) => {
          const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
          const operation = document.paths['/v1/geometries'].post
          t.ok(
            operation.parameters.some(
              (parameter: { name: string; in: string }) =>
                parameter.name === 'skip_invalid' && parameter.in === 'query',
            ),
          )
          const created = operation.responses['201'].content['application/json'].schema
          t.match(created.properties, {
            skipped: {
              type: 'array',
              items: { properties: { row: {}, area_code: {}, rule: {}, reason: {} } },
            },
            reprojected_from: {},
          })
        },
      )

      t.test('when the body is not a FeatureCollection, then 422', async (t) => {
        t.equal((await post({ type: 'Feature' })).statusCode, 422)
      })

      t.test('when an analyst posts boundaries, then 403', async (t) => {
        const analyst = await createKey(app, admin, 'analyst', 'GM0518')
        const response = await post(
          { type: 'FeatureCollection', features: [] },
          '',
          analyst.headers,
        )
        t.equal(response.statusCode, 403)
      })
    })

    t.test('GET /v1/geometries', async (t) => {
      t.test(
        'when a scoped viewer asks without a municipality, then only its own areas come back',
        async (t) => {
          await post({
            type: 'FeatureCollection',
            features: [
              {
                type: 'Feature',
                properties: { BU_CODE: 'BU05180101' },
                geometry: square(4.3, 52.07),
              },
              {
                type: 'Feature',
                properties: { BU_CODE: 'BU05990101' },
                geometry: square(4.4, 51.9),
              },
            ],
          })
          const viewer = await createKey(app, admin, 'viewer', 'GM0599')
          const response = await app.inject({
            method: 'GET',
            url: '/v1/geometries',
            headers: viewer.headers,
          })
          t.same(
            response
              .json()
              .features.map(
                (feature: { properties: { area_code: string } }) => feature.properties.area_code,
              ),
            ['BU05990101'],
          )
          t.equal(
            (
              await app.inject({
                method: 'GET',
                url: '/v1/geometries?municipality=GM0518',
                headers: viewer.headers,
              })
            ).statusCode,
            403,
          )
        },
      )
    })
  })
}
