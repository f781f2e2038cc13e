import t from 'tap'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, engines } from '../../helper.js'
import { importGeometries } from '../../../services/use-cases/import-geometries.js'
import type { GeometriesRepository } from '../../../services/repositories/geometries-repository.js'

/**
 * use-cases/import-geometries.ts: a GeoJSON FeatureCollection is read (ingest/geometry-features),
 * any bad feature rejects the whole file with 422, and otherwise the areas (with their ancestors
 * and the file's names) and every geometry are stored in one transaction.
 */

const square = (x: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, 52],
      [x + 0.01, 52],
      [x + 0.01, 52.01],
      [x, 52],
    ],
  ],
})

const feature = (properties: Record<string, unknown>, geometry: unknown = square(4.3)) => ({
  type: 'Feature',
  properties,
  geometry,
})

const collection = (...features: unknown[]) => ({ type: 'FeatureCollection', features })

// The shared fixtures, by path from the repository root (never copied into the project).
const geo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'geo')
const readGeo = (name: string) => JSON.parse(readFileSync(join(geo, name), 'utf8')) as unknown

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())
    const repositories = (geometries: GeometriesRepository = app.geometriesRepository) => ({
      areas: app.areasRepository,
      geometries,
    })

    t.test('importGeometries', async (t) => {
      t.test(
        'when the file is valid, then its areas (with ancestors and names) and geometries are stored',
        async (t) => {
          const summary = await importGeometries(
            app.knex,
            repositories(),
            collection(
              feature({ BU_CODE: 'BU05180101', BU_NAAM: 'Centrum' }, square(4.3)),
              feature({ WK_CODE: 'WK051802', WK_NAAM: 'Wijk 02' }, square(4.4)),
              feature({ gemeentecode: 518, gemeentenaam: "'s-Gravenhage" }, square(4.5)),
            ),
          )
          t.same(summary, { features: 3, inserted: 3, updated: 0 })
          t.same(await areaNames(app), {
            BU05180101: 'Centrum',
            GM0518: "'s-Gravenhage",
            WK051801: null,
            WK051802: 'Wijk 02',
          })
          const stored = await app.geometriesRepository.list({})
          t.same(
            stored.map((row) => [row.area_code, row.level]),
            [
              ['BU05180101', 'neighbourhood'],
              ['GM0518', 'municipality'],
              ['WK051802', 'district'],
            ],
          )
          t.same(stored[0].geometry, square(4.3))
        },
      )

      t.test(
        'when the same areas come again, then their geometries are replaced and counted as updated',
        async (t) => {
          await importGeometries(
            app.knex,
            repositories(),
            collection(feature({ BU_CODE: 'BU05180101', BU_NAAM: 'Centrum' }, square(4.3))),
          )
          const summary = await importGeometries(
            app.knex,
            repositories(),
            collection(
              feature({ BU_CODE: 'BU05180101' }, square(5)),
              feature({ BU_CODE: 'BU05180102' }, square(6)),
            ),
          )
          t.same(summary, { features: 2, inserted: 1, updated: 1 })
          const stored = await app.geometriesRepository.list({ level: 'neighbourhood' })
          t.same(stored[0].geometry, square(5))
          t.equal((await areaNames(app)).BU05180101, 'Centrum', 'a file without a name keeps it')
        },
      )

      t.test('when a code property is named, then the code is read from it', async (t) => {
        const summary = await importGeometries(
          app.knex,
          repositories(),
          collection(feature({ code: 'BU05180101', BU_CODE: 'BU05990101' })),
          'code',
        )
        t.same(summary, { features: 1, inserted: 1, updated: 0 })
        t.ok((await areaNames(app)).BU05180101 !== undefined)
        t.equal((await areaNames(app)).BU05990101, undefined)
      })

      t.test(
        'when one feature is bad, then 422 lists every bad feature and nothing is stored',
        async (t) => {
          await t.rejects(
            importGeometries(
              app.knex,
              repositories(),
              collection(
                feature({ BU_CODE: 'BU05180101' }),
                feature({ BU_CODE: 'XX12' }),
                feature({ BU_CODE: 'BU05180103' }, { type: 'Point', coordinates: [4, 52] }),
                feature({ BU_CODE: 'BU05180101' }),
              ),
            ),
            {
              statusCode: 422,
              code: 'invalid_rows',
              message: '3 error(s) in the GeoJSON; nothing was stored',
              details: {
                total: 3,
                errors: [
                  { row: 2, column: 'BU_CODE', message: /not a CBS area code/ },
                  { row: 3, column: 'geometry' },
                  { row: 4, message: /more than once/ },
                ],
              },
            },
          )
          t.same(await counts(app), { areas: 0, geometries: 0 })
        },
      )

      t.test('when the body is not a FeatureCollection, then 422 at row 1', async (t) => {
        for (const body of [null, { type: 'Feature' }, collection()]) {
          await t.rejects(importGeometries(app.knex, repositories(), body), {
            statusCode: 422,
            code: 'invalid_rows',
            details: { total: 1, errors: [{ row: 1, column: null }] },
          })
        }
        t.same(await counts(app), { areas: 0, geometries: 0 })
      })

      t.test(
        'when the Haaglanden 2015 buurten come without skipInvalid, then 422 names the three collapsed features and nothing is stored',
        async (t) => {
          await t.rejects(
            importGeometries(app.knex, repositories(), readGeo('haaglanden_buurten_2015.geojson')),
            {
              statusCode: 422,
              code: 'invalid_rows',
              details: {
                total: 3,
                errors: [
                  { row: 206, column: 'geometry', message: /BU05460505/ },
                  { row: 207, column: 'geometry', message: /BU05460900/ },
                  { row: 298, column: 'geometry', message: /BU06380001/ },
                ],
              },
            },
          )
          t.same(await counts(app), { areas: 0, geometries: 0 })
        },
      )

      t.test(
        'when they come with skipInvalid, then 436 boundaries are stored and the three are listed',
        async (t) => {
          const summary = await importGeometries(
            app.knex,
            repositories(),
            readGeo('haaglanden_buurten_2015.geojson'),
            undefined,
            { skipInvalid: true },
          )
          t.match(summary, {
            features: 436,
            inserted: 436,
            updated: 0,
            skipped: [
              { row: 206, area_code: 'BU05460505', rule: 'collapsed_geometry' },
              { row: 207, area_code: 'BU05460900', rule: 'collapsed_geometry' },
              { row: 298, area_code: 'BU06380001', rule: 'collapsed_geometry' },
            ],
          })
          t.equal(summary.skipped?.length, 3)
          t.equal(summary.reprojected_from, undefined)
          t.equal((await counts(app)).geometries, 436)
          t.notOk(await app.areasRepository.find('BU05460900'), 'a skipped feature creates no area')
        },
      )

      t.test(
        'when the RD New file is imported, then lon/lat with at least 6 decimals is stored',
        async (t) => {
          const summary = await importGeometries(
            app.knex,
            repositories(),
            readGeo('denhaag_GM0518_buurten_2022_rd.geojson'),
          )
          t.same(summary, {
            features: 114,
            inserted: 114,
            updated: 0,
            reprojected_from: 'EPSG:28992',
          })
          const stored = await app.geometriesRepository.list({ municipality: 'GM0518' })
          t.equal(stored.length, 114)
          const positions = stored.flatMap(
            (row) => (row.geometry as { coordinates: number[][][] }).coordinates[0],
          )
          t.ok(
            positions.every(
              ([longitude, latitude]) =>
                longitude > 4.1 && longitude < 4.45 && latitude > 51.98 && latitude < 52.15,
            ),
            'every vertex in Den Haag',
          )
          t.ok(
            positions.some(([longitude]) => (String(longitude).split('.')[1] ?? '').length >= 6),
            'decimals beyond the 1 m of the file are kept',
          )
          t.equal((await areaNames(app)).BU05180170, 'Oostduinen')
        },
      )

      t.test(
        'when the 2023 municipality file is imported, then GM0998 Buitenland is listed and no area',
        async (t) => {
          const summary = await importGeometries(
            app.knex,
            repositories(),
            readGeo('nl_gemeenten_2023_simplified.geojson'),
          )
          t.match(summary, {
            features: 342,
            inserted: 342,
            skipped: [{ row: 254, area_code: 'GM0998', rule: 'abroad' }],
          })
          t.equal(await app.areasRepository.find('GM0998'), undefined)
          t.equal((await areaNames(app)).GM0363, 'Amsterdam')
        },
      )

      t.test(
        'when a file holds only GM0998, then nothing is stored and the answer says why',
        async (t) => {
          const summary = await importGeometries(
            app.knex,
            repositories(),
            collection(feature({ gemeentecode: 'GM0998', gemeentenaam: 'Buitenland' })),
          )
          t.match(summary, {
            features: 0,
            inserted: 0,
            updated: 0,
            skipped: [{ row: 1, area_code: 'GM0998', rule: 'abroad', reason: /Buitenland/ }],
          })
          t.same(await counts(app), { areas: 0, geometries: 0 })
        },
      )

      t.test(
        'when the Amsterdam 2023 wijken with letter codes are imported, then they are stored under GM0363',
        async (t) => {
          const summary = await importGeometries(
            app.knex,
            repositories(),
            readGeo('amsterdam_GM0363_wijken_2023_subset.geojson'),
          )
          t.same(summary, { features: 54, inserted: 54, updated: 0 })
          t.same(await app.areasRepository.find('WK0363AF'), {
            area_code: 'WK0363AF',
            area_name: 'Nieuwmarkt/Lastage',
            level: 'district',
            parent_code: 'GM0363',
          })
        },
      )

      t.test(
        'when storing the geometries fails, then the areas created before are rolled back too',
        async (t) => {
          const failing: GeometriesRepository = {
            ...app.geometriesRepository,
            upsert: async () => {
              throw new Error('disk full')
            },
          }
          await t.rejects(
            importGeometries(
              app.knex,
              repositories(failing),
              collection(feature({ BU_CODE: 'BU05180101' })),
            ),
            { message: 'disk full' },
          )
          t.same(await counts(app), { areas: 0, geometries: 0 })
        },
      )
    })
  })
}

async function areaNames(app: FastifyInstance): Promise<Record<string, string | null>> {
  const rows = (await app.knex('areas').orderBy('area_code').select('area_code', 'area_name')) as {
    area_code: string
    area_name: string | null
  }[]
  return Object.fromEntries(rows.map((row) => [row.area_code, row.area_name]))
}

async function counts(app: FastifyInstance) {
  const count = async (table: string) => Number((await app.knex(table).count({ n: '*' }))[0].n)
  return { areas: await count('areas'), geometries: await count('area_geometries') }
}
