import t from 'tap'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readGeometryFeatures } from '../../../services/ingest/geometry-features.js'

/**
 * ingest/geometry-features.ts on real CBS/PDOK files (issue 16): which property holds the code,
 * RD New coordinates, collapsed and empty features, GM0998 and letter codes.
 */

// The shared fixtures, by path from the repository root (never copied into the project).
const geo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'geo')
const readGeo = (name: string) => JSON.parse(readFileSync(join(geo, name), 'utf8')) as unknown

const square = (x: number, y: number, size = 0.01) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, y],
      [x + size, y],
      [x + size, y + size],
      [x, y + size],
      [x, y],
    ],
  ],
})
const feature = (properties: Record<string, unknown>, geometry: unknown = square(4.3, 52.07)) => ({
  type: 'Feature',
  properties,
  geometry,
})
const collection = (features: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'FeatureCollection',
  ...extra,
  features,
})
const codes = (read: ReturnType<typeof readGeometryFeatures>) =>
  read.features.map((feature) => feature.area_code)

t.test('which property holds the code', async (t) => {
  t.test(
    'when a PDOK 2022+ buurt carries buurtcode, wijkcode and gemeentecode, then buurtcode is read with buurtnaam',
    async (t) => {
      const read = readGeometryFeatures(
        collection([
          feature({
            gemeentecode: 'GM0518',
            gemeentenaam: "'s-Gravenhage",
            wijkcode: 'WK051801',
            wijknaam: 'Oostduinen',
            buurtcode: 'BU05180170',
            buurtnaam: 'Oostduinen',
          }),
          feature({
            gemeentecode: 'GM0518',
            gemeentenaam: "'s-Gravenhage",
            wijkcode: 'WK051802',
            wijknaam: 'Belgisch Park',
            buurtcode: 'BU05180271',
            buurtnaam: 'Belgisch Park',
          }),
          // a PDOK wijk: wijkcode before gemeentecode
          feature({ gemeentecode: 'GM0518', wijkcode: 'WK051803', wijknaam: 'Westbroekpark' }),
        ]),
      )
      t.same(read.errors, [])
      t.same(
        read.features.map((feature) => [feature.area_code, feature.area_name]),
        [
          ['BU05180170', 'Oostduinen'],
          ['BU05180271', 'Belgisch Park'],
          ['WK051803', 'Westbroekpark'],
        ],
      )
    },
  )

  t.test(
    'when CBS upper-case names carry every level, then BU_CODE before WK_CODE before GM_CODE',
    async (t) => {
      const read = readGeometryFeatures(
        collection([
          feature({ GM_CODE: 'GM0518', WK_CODE: 'WK051801', BU_CODE: 'BU05180170' }),
          feature({ GM_CODE: 'GM0518', WK_CODE: 'WK051802' }),
          feature({ GM_CODE: 'GM0503', GM_NAAM: 'Delft' }),
        ]),
      )
      t.same(codes(read), ['BU05180170', 'WK051802', 'GM0503'])
      t.equal(read.features[2].area_name, 'Delft')
    },
  )

  t.test(
    'when the real CBS 2015 files are read, then every buurt, wijk and gemeente gets its own code',
    async (t) => {
      const buurten = readGeometryFeatures(readGeo('denhaag_GM0518_buurten_2015.geojson'))
      t.same(buurten.errors, [])
      t.equal(buurten.features.length, 114)
      t.ok(codes(buurten).every((code) => /^BU0518\d{4}$/.test(code)))
      const wijken = readGeometryFeatures(readGeo('denhaag_GM0518_wijken_2015.geojson'))
      t.equal(wijken.features.length, 44)
      t.ok(codes(wijken).every((code) => /^WK0518\d{2}$/.test(code)))
    },
  )

  t.test(
    'when a file has statcode and gmCode (cartomap, PDOK gebiedsindelingen), then statcode is read with statnaam',
    async (t) => {
      const read = readGeometryFeatures(readGeo('denhaag_GM0518_buurten_2022.geojson'))
      t.same(read.errors, [])
      t.equal(read.features.length, 114)
      t.same(read.features[0], {
        area_code: 'BU05180170',
        area_name: 'Oostduinen',
        geometry: read.features[0].geometry,
      })
      // statcode is the feature's own code: it wins over a parent's even under a listed name
      const mixed = readGeometryFeatures(
        collection([feature({ gemeentecode: 'GM0518', statcode: 'BU05180170', statnaam: 'X' })]),
      )
      t.same(codes(mixed), ['BU05180170'])
    },
  )

  t.test('when property names differ in case, then they are still found', async (t) => {
    const read = readGeometryFeatures(
      collection([feature({ gm_code: 'GM0518', bu_code: 'BU05180170', bu_naam: 'Oostduinen' })]),
    )
    t.same(
      read.features.map((feature) => [feature.area_code, feature.area_name]),
      [['BU05180170', 'Oostduinen']],
    )
  })

  t.test(
    'when a code property is named, then it wins over the built-in list, and its name property comes along',
    async (t) => {
      const read = readGeometryFeatures(
        collection([
          feature({ buurtcode: 'BU05180170', gemeentecode: 'GM0518', gemeentenaam: 'Den Haag' }),
        ]),
        { codeProperty: 'gemeentecode' },
      )
      t.same(
        read.features.map((feature) => [feature.area_code, feature.area_name]),
        [['GM0518', 'Den Haag']],
      )
    },
  )

  // The bug of issue 16: the parent's code was taken and every buurt became GM0518.
  t.test(
    'when every buurt of a municipality carries the same gemeentecode, then no duplicate is reported',
    async (t) => {
      const features = Array.from({ length: 5 }, (_, i) =>
        feature({ buurtcode: `BU0518010${i}`, gemeentecode: 'GM0518' }, square(4.3 + i / 100, 52)),
      )
      const read = readGeometryFeatures(collection(features))
      t.same(read.errors, [])
      t.equal(read.features.length, 5)
    },
  )
})

t.test('letter codes', async (t) => {
  t.test(
    'when the Amsterdam 2023 wijken with letter codes are read, then all 54 are accepted',
    async (t) => {
      const read = readGeometryFeatures(readGeo('amsterdam_GM0363_wijken_2023_subset.geojson'))
      t.same(read.errors, [])
      t.equal(read.features.length, 54)
      t.ok(codes(read).includes('WK0363AF'))
      t.ok(codes(read).every((code) => /^WK0363[A-Z]{2}$/.test(code)))
      t.equal(read.features.find((f) => f.area_code === 'WK0363AA')?.area_name, 'Haarlemmerbuurt')
    },
  )

  t.test(
    'when a buurt has a letter code, then it is accepted (read in capitals); a code one character short is not',
    async (t) => {
      const read = readGeometryFeatures(
        collection([
          feature({ BU_CODE: 'BU0363AF09' }),
          feature({ BU_CODE: 'bu0363af08' }, square(4.4, 52.07)),
          feature({ BU_CODE: 'BU0363AF0' }),
        ]),
      )
      t.same(codes(read), ['BU0363AF09', 'BU0363AF08'])
      t.match(read.errors, [{ row: 3, column: 'BU_CODE', message: /not a CBS area code/ }])
    },
  )
})

t.test('GM0998 Buitenland', async (t) => {
  t.test(
    'when the 2023 municipality file is read, then 342 municipalities are kept and GM0998 is listed as left out',
    async (t) => {
      const read = readGeometryFeatures(readGeo('nl_gemeenten_2023_simplified.geojson'))
      t.same(read.errors, [])
      t.equal(read.features.length, 342)
      t.notOk(codes(read).includes('GM0998'))
      t.match(read.skipped, [
        { row: 254, area_code: 'GM0998', rule: 'abroad', reason: /Buitenland/ },
      ])
      t.equal(read.skipped.length, 1)
    },
  )

  t.test('when GM0998 has no geometry at all, then it is still only left out', async (t) => {
    const read = readGeometryFeatures(
      collection([feature({ gemeentecode: 'GM0998' }, null), feature({ GM_CODE: 'GM0518' })]),
    )
    t.same(read.errors, [])
    t.same(codes(read), ['GM0518'])
    t.match(read.skipped, [{ row: 1, area_code: 'GM0998', rule: 'abroad' }])
  })
})

t.test('collapsed and empty features', async (t) => {
  const haaglanden = readGeo('haaglanden_buurten_2015.geojson')

  t.test(
    'when the Haaglanden 2015 buurten are read as they are, then the three collapsed features are errors naming index, code and rule',
    async (t) => {
      const read = readGeometryFeatures(haaglanden)
      t.match(read.errors, [
        {
          row: 206,
          column: 'geometry',
          message:
            /^feature 206 \(BU05460505\) has a MultiLineString geometry.*must be a Polygon or MultiPolygon.*skip_invalid=true/,
        },
        { row: 207, column: 'geometry', message: /^feature 207 \(BU05460900\) has a Point/ },
        { row: 298, column: 'geometry', message: /^feature 298 \(BU06380001\) has a Point/ },
      ])
      t.equal(read.errors.length, 3)
      t.same(read.skipped, [])
    },
  )

  t.test(
    'when they are read with skipInvalid, then 436 buurten are kept and the three are listed',
    async (t) => {
      const read = readGeometryFeatures(haaglanden, { skipInvalid: true })
      t.same(read.errors, [])
      t.equal(read.features.length, 436)
      t.match(read.skipped, [
        {
          row: 206,
          area_code: 'BU05460505',
          rule: 'collapsed_geometry',
          reason: /MultiLineString/,
        },
        { row: 207, area_code: 'BU05460900', rule: 'collapsed_geometry', reason: /Point/ },
        { row: 298, area_code: 'BU06380001', rule: 'collapsed_geometry', reason: /Point/ },
      ])
      t.equal(read.skipped.length, 3)
      t.notOk(codes(read).includes('BU05460900'))
    },
  )

  t.test('when geometries are empty or of zero area, then each is named by its rule', async (t) => {
    const body = collection([
      feature({ BU_CODE: 'BU05180101' }, null),
      feature({ BU_CODE: 'BU05180102' }, { type: 'Polygon', coordinates: [] }),
      feature({ BU_CODE: 'BU05180103' }, { type: 'MultiPolygon', coordinates: [] }),
      feature(
        { BU_CODE: 'BU05180104' },
        {
          type: 'Polygon',
          coordinates: [
            [
              [4.3, 52.07],
              [4.31, 52.08],
              [4.32, 52.09],
              [4.3, 52.07],
            ],
          ],
        },
      ),
      feature(
        { BU_CODE: 'BU05180105' },
        {
          type: 'LineString',
          coordinates: [
            [4.3, 52],
            [4.4, 52],
          ],
        },
      ),
      feature({ BU_CODE: 'BU05180106' }),
    ])
    const rejected = readGeometryFeatures(body)
    t.match(rejected.errors, [
      { row: 1, column: 'geometry', message: /has no geometry \(null\)/ },
      { row: 2, message: /has an empty Polygon/ },
      { row: 3, message: /has an empty MultiPolygon/ },
      { row: 4, message: /Polygon of zero area/ },
      { row: 5, message: /LineString/ },
    ])
    t.equal(rejected.errors.length, 5)
    const skipped = readGeometryFeatures(body, { skipInvalid: true })
    t.same(skipped.errors, [])
    t.same(codes(skipped), ['BU05180106'])
    t.same(
      skipped.skipped.map((entry) => [entry.row, entry.area_code, entry.rule]),
      [
        [1, 'BU05180101', 'empty_geometry'],
        [2, 'BU05180102', 'empty_geometry'],
        [3, 'BU05180103', 'empty_geometry'],
        [4, 'BU05180104', 'collapsed_geometry'],
        [5, 'BU05180105', 'collapsed_geometry'],
      ],
    )
  })

  t.test(
    'when a geometry is malformed or the code is missing, then skipInvalid does not skip it',
    async (t) => {
      const read = readGeometryFeatures(
        collection([
          feature({ BU_CODE: 'BU05180101' }, { type: 'Polygon', coordinates: [[['4.3', 52]]] }),
          feature({ BU_CODE: 'BU05180102' }, { type: 'Banana', coordinates: [] }),
          feature({ name: 'no code' }, { type: 'Point', coordinates: [4.3, 52] }),
          feature({ BU_CODE: 'BU05180104' }),
          feature({ BU_CODE: 'BU05180104' }),
        ]),
        { skipInvalid: true },
      )
      t.match(read.errors, [
        { row: 1, column: 'geometry', message: /not rings of \[x, y\] number positions/ },
        {
          row: 2,
          column: 'geometry',
          message: /must have a Polygon or MultiPolygon geometry, got Banana/,
        },
        { row: 3, column: null, message: /has no area code/ },
        { row: 5, message: /BU05180104 appears more than once/ },
      ])
      t.equal(read.errors.length, 4)
      t.same(read.skipped, [])
    },
  )

  t.test('when a zero-area feature is skipped, then a real duplicate of it is kept', async (t) => {
    const read = readGeometryFeatures(
      collection([
        feature({ BU_CODE: 'BU05180101' }, { type: 'Point', coordinates: [4.3, 52] }),
        feature({ BU_CODE: 'BU05180101' }),
      ]),
      { skipInvalid: true },
    )
    t.same(read.errors, [])
    t.same(codes(read), ['BU05180101'])
  })
})

t.test('coordinate systems', async (t) => {
  const rdSquare = square(80000, 455000, 500)

  t.test(
    'when the RD New file declares its crs, then every feature is reprojected to lon/lat',
    async (t) => {
      const read = readGeometryFeatures(readGeo('denhaag_GM0518_buurten_2022_rd.geojson'))
      t.same(read.errors, [])
      t.equal(read.coordinateSystem, 'rd_new')
      t.equal(read.features.length, 114)
      for (const { geometry } of read.features) {
        for (const [longitude, latitude] of (geometry.coordinates as number[][][]).flat()) {
          if (!(longitude > 4.1 && longitude < 4.45 && latitude > 51.98 && latitude < 52.15))
            t.fail(`${longitude}, ${latitude} is not in Den Haag`)
        }
      }
    },
  )

  t.test(
    'when RD coordinates come without a crs, then they are recognised by their range',
    async (t) => {
      const read = readGeometryFeatures(collection([feature({ BU_CODE: 'BU05180101' }, rdSquare)]))
      t.same(read.errors, [])
      t.equal(read.coordinateSystem, 'rd_new')
      const [longitude, latitude] = (read.features[0].geometry.coordinates as number[][][])[0][0]
      t.ok(
        longitude > 4.2 && longitude < 4.3 && latitude > 52 && latitude < 52.1,
        `${longitude}, ${latitude}`,
      )
      t.equal(read.features[0].geometry.type, 'Polygon')
    },
  )

  t.test(
    'when lon/lat coordinates come without a crs, then they are stored as given',
    async (t) => {
      const read = readGeometryFeatures(collection([feature({ BU_CODE: 'BU05180101' })]))
      t.equal(read.coordinateSystem, 'wgs84')
      t.same(read.features[0].geometry, square(4.3, 52.07))
    },
  )

  t.test('when an RD MultiPolygon is read, then each polygon is reprojected', async (t) => {
    const read = readGeometryFeatures(
      collection([
        feature(
          { BU_CODE: 'BU05180101' },
          {
            type: 'MultiPolygon',
            coordinates: [rdSquare.coordinates, square(81000, 456000, 100).coordinates],
          },
        ),
      ]),
    )
    t.same(read.errors, [])
    const polygons = read.features[0].geometry.coordinates as number[][][][]
    t.equal(polygons.length, 2)
    t.ok(polygons.flat(2).every(([longitude]) => longitude > 4 && longitude < 5))
  })

  t.test(
    'when the crs names another system, then the file is rejected at row 1 naming it',
    async (t) => {
      const read = readGeometryFeatures(
        collection([feature({ BU_CODE: 'BU05180101' })], {
          crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::3857' } },
        }),
      )
      t.match(read.errors, [
        {
          row: 1,
          column: 'crs',
          message: /declares the coordinate system "urn:ogc:def:crs:EPSG::3857".*RD New/,
        },
      ])
      t.same(read.features, [])
    },
  )

  t.test(
    'when lon/lat and RD coordinates are mixed, then the file is rejected naming the feature',
    async (t) => {
      const read = readGeometryFeatures(
        collection([
          feature({ BU_CODE: 'BU05180101' }),
          feature({ BU_CODE: 'BU05180102' }, rdSquare),
        ]),
      )
      t.match(read.errors, [
        {
          row: 1,
          column: 'crs',
          message: /neither WGS84 longitude\/latitude nor RD New.*feature 2 has \(80000, 455000\)/,
        },
      ])
    },
  )

  t.test(
    'when the file declares WGS84 but holds RD metres, then the feature is named',
    async (t) => {
      const read = readGeometryFeatures(
        collection([feature({ BU_CODE: 'BU05180101' }, rdSquare)], {
          crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:OGC:1.3:CRS84' } },
        }),
      )
      t.match(read.errors, [
        {
          row: 1,
          column: 'geometry',
          message:
            /feature 1 \(BU05180101\) has \(80000, 455000\), which is not a longitude\/latitude/,
        },
      ])
    },
  )

  t.test(
    'when the file declares RD New but a position is outside it, then the feature is named',
    async (t) => {
      const read = readGeometryFeatures(
        collection([feature({ BU_CODE: 'BU05180101' })], {
          crs: { type: 'name', properties: { name: 'EPSG:28992' } },
        }),
      )
      t.match(read.errors, [
        { row: 1, column: 'geometry', message: /\(4\.3, 52\.07\), outside RD New/ },
      ])
    },
  )
})
