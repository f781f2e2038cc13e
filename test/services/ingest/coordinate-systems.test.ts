import t from 'tap'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import proj4 from 'proj4'
import {
  declaredCoordinateSystem,
  isLonLat,
  isRdNew,
  rdNewToWgs84,
  storedDecimals,
} from '../../../services/ingest/coordinate-systems.js'

/**
 * ingest/coordinate-systems.ts: RD New (EPSG:28992) is recognised and reprojected to WGS84 with
 * proj4 and the datum-shifted definition (issue 16).
 */

// The shared fixtures, by path from the repository root (never copied into the project).
const geo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'geo')
const readGeo = (name: string) =>
  JSON.parse(readFileSync(join(geo, name), 'utf8')) as {
    features: { properties: { statcode: string }; geometry: { coordinates: number[][][] } }[]
  }

/**
 * Great-circle distance in metres between two [longitude, latitude] points (haversine on a
 * sphere of the WGS84 mean radius, 6 371 008.8 m): its error against the ellipsoid (< 0.5 %)
 * is a few millimetres at the one-metre scale compared here.
 */
function metresBetween([lon1, lat1]: readonly number[], [lon2, lat2]: readonly number[]): number {
  const radians = Math.PI / 180
  const dLat = (lat2 - lat1) * radians
  const dLon = (lon2 - lon1) * radians
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(lat1 * radians) * Math.cos(lat2 * radians) * Math.sin(dLon / 2) ** 2
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h))
}

/**
 * The largest distance between the vertices of the RD file, reprojected by `toWgs84`, and the
 * same vertices in the WGS84 file. The README of ../shared/geo says the RD file is a pyproj
 * transform of the WGS84 file rounded to 1 m, feature by feature and vertex by vertex, so the
 * two are compared vertex for vertex (a different count fails the test rather than being skipped).
 */
function maxVertexError(toWgs84: (position: number[]) => number[]): {
  max: number
  vertices: number
  features: number
} {
  const rd = readGeo('denhaag_GM0518_buurten_2022_rd.geojson')
  const wgs84 = readGeo('denhaag_GM0518_buurten_2022.geojson')
  if (rd.features.length !== wgs84.features.length) throw new Error('feature counts differ')
  let max = 0
  let vertices = 0
  rd.features.forEach((feature, index) => {
    const expected = wgs84.features[index]
    if (feature.properties.statcode !== expected.properties.statcode)
      throw new Error(`feature ${index + 1}: the two files are not in the same order`)
    const rdRing = feature.geometry.coordinates.flat()
    const wgs84Ring = expected.geometry.coordinates.flat()
    if (rdRing.length !== wgs84Ring.length)
      throw new Error(`${feature.properties.statcode}: vertex counts differ`)
    rdRing.forEach((position, vertex) => {
      max = Math.max(max, metresBetween(toWgs84(position), wgs84Ring[vertex]))
      vertices += 1
    })
  })
  return { max, vertices, features: rd.features.length }
}

t.test('rdNewToWgs84', async (t) => {
  t.test(
    'when the Den Haag 2022 buurten in RD New are reprojected, then every vertex lies within 1 m of the WGS84 file',
    async (t) => {
      const { max, vertices, features } = maxVertexError(rdNewToWgs84)
      t.equal(features, 114)
      t.equal(vertices, 751, 'every vertex of the 114 buurten compared')
      t.ok(max < 1, `largest vertex error ${max.toFixed(3)} m`)
      t.comment(`largest vertex error: ${max.toFixed(3)} m`)
    },
  )

  // Why the definition carries +towgs84: without the datum shift the same file lands far off.
  t.test(
    'when the common definition without a datum shift is used instead, then the vertices are over 100 m off',
    async (t) => {
      const plain = proj4(
        '+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel +units=m +no_defs',
        'WGS84',
      )
      const { max } = maxVertexError((position) => plain.forward(position))
      t.ok(max > 100, `largest vertex error ${max.toFixed(1)} m`)
    },
  )

  t.test(
    'when a position is reprojected, then 7 decimals are kept and a height is carried',
    async (t) => {
      t.equal(storedDecimals, 7)
      const [longitude, latitude, height] = rdNewToWgs84([155000, 463000, 12.5])
      // the projection's origin (Amersfoort), shifted by the datum transformation
      t.ok(
        Math.abs(longitude - 5.38763888888889) < 0.002 &&
          Math.abs(latitude - 52.15616055555555) < 0.002,
      )
      t.equal(longitude, Math.round(longitude * 1e7) / 1e7)
      t.ok(String(longitude).split('.')[1].length >= 6, `${longitude} keeps at least 6 decimals`)
      t.equal(height, 12.5)
    },
  )
})

t.test('declaredCoordinateSystem', async (t) => {
  t.test(
    'when a crs member names RD New or WGS84 in its usual spellings, then it is recognised',
    async (t) => {
      const named = (name: string) =>
        declaredCoordinateSystem({ type: 'name', properties: { name } })
      for (const name of [
        'urn:ogc:def:crs:EPSG::28992',
        'EPSG:28992',
        'urn:ogc:def:crs:EPSG:6.9:28992',
        'EPSG:7415',
      ])
        t.equal(named(name)?.system, 'rd_new', name)
      for (const name of [
        'urn:ogc:def:crs:OGC:1.3:CRS84',
        'urn:ogc:def:crs:EPSG::4326',
        'EPSG:4326',
        'EPSG:4258',
      ])
        t.equal(named(name)?.system, 'wgs84', name)
      t.same(named('EPSG:3857'), { system: null, name: 'EPSG:3857' })
    },
  )

  t.test('when no crs is declared, then nothing is assumed', async (t) => {
    t.equal(declaredCoordinateSystem(undefined), undefined)
    t.equal(declaredCoordinateSystem(null), undefined)
    t.equal(declaredCoordinateSystem({ type: 'name', properties: {} }), undefined)
  })
})

t.test('isLonLat and isRdNew', async (t) => {
  t.test(
    'when positions are Dutch lon/lat or RD metres, then exactly one range holds',
    async (t) => {
      for (const position of [
        [4.3, 52.07],
        [82510, 458391],
        [155000, 463000],
        [3.36, 51.37],
      ]) {
        t.not(isLonLat(position), isRdNew(position), JSON.stringify(position))
      }
      t.notOk(isRdNew([500000, 463000]), 'east of the Netherlands')
      t.notOk(isRdNew([155000, 100000]), 'south of the Netherlands')
      t.notOk(isLonLat([200, 52]))
    },
  )
})
