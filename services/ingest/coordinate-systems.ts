import proj4 from 'proj4'

/**
 * The coordinate systems a boundary file may arrive in, and the one it is stored in.
 *
 * Boundaries are stored and served as WGS84 longitude/latitude (GeoJSON, RFC 7946 §4), which is
 * what the dashboard's Leaflet map draws. CBS and PDOK publish the wijk- en buurtkaart in
 * **RD New** (Amersfoort / RD New, EPSG:28992, metres), so files in RD are recognised — by a
 * declared `crs` member or by coordinates that can only be RD — and reprojected with proj4.
 */
export type CoordinateSystem = 'wgs84' | 'rd_new'

/**
 * RD New as a PROJ string. proj4 has no built-in EPSG:28992, and the commonly copied definition
 * without `+towgs84` treats the Bessel ellipsoid of the Amersfoort datum as if it were WGS84:
 * its results land ~170 m off. This definition carries the 7-parameter Amersfoort → WGS84 datum
 * shift published with EPSG:28992's PROJ.4 export (epsg.io/28992, spatialreference.org; quoted
 * in issue 16); against a PROJ 9 (pyproj) transform of the Den Haag 2022 buurten it agrees to
 * within 0.7 m (test/services/ingest/coordinate-systems.test.ts). The official RDNAPTRANS™
 * grid would be exact to centimetres; for choropleth boundaries a metre is ample.
 */
export const rdNewDefinition =
  '+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 ' +
  '+y_0=463000 +ellps=bessel +towgs84=565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725 ' +
  '+units=m +no_defs'

const rdToWgs84 = proj4(rdNewDefinition, 'WGS84')

/**
 * Where RD New coordinates can lie: EPSG:28992's projected bounds (epsg.io/28992: x 482 to
 * 284 183, y 306 602 to 637 050 m), widened by a margin for the 12-mile coastal zone and for
 * generalised boundaries. Longitudes and latitudes never fall in it (y ≥ 289 000), so the two
 * ranges cannot be confused.
 */
export const rdNewBounds = { minX: -7_000, maxX: 300_000, minY: 289_000, maxY: 640_000 } as const

/**
 * Decimals kept after reprojection: 7 decimals of a degree are ~1 cm here, far below the ~1 m
 * accuracy of the datum shift, and more than the 6 issue 16 asks for.
 */
export const storedDecimals = 7

/** A CRS name of the GeoJSON 2008 `crs` member that is longitude/latitude on (about) WGS84. */
const lonLatNames =
  /^(urn:ogc:def:crs:OGC:(1\.3)?:CRS84|urn:ogc:def:crs:EPSG:[\d.]*:(4326|4258)|EPSG:(4326|4258)|WGS ?84)$/i
/** RD New, alone or as the horizontal part of RD New + NAP height (EPSG:7415). */
const rdNewNames = /^(urn:ogc:def:crs:EPSG:[\d.]*:(28992|7415)|EPSG:(28992|7415))$/i

/**
 * The coordinate system a declared GeoJSON 2008 `crs` member names: `undefined` when the file
 * declares none (RFC 7946 removed the member, so most files do not), `null` when it names one this
 * service cannot read.
 */
export function declaredCoordinateSystem(
  crs: unknown,
): { system: CoordinateSystem | null; name: string } | undefined {
  const name = (crs as { properties?: { name?: unknown } } | null | undefined)?.properties?.name
  if (typeof name !== 'string' || name.trim() === '') return undefined
  const trimmed = name.trim()
  if (lonLatNames.test(trimmed)) return { system: 'wgs84', name: trimmed }
  if (rdNewNames.test(trimmed)) return { system: 'rd_new', name: trimmed }
  return { system: null, name: trimmed }
}

/** Whether a position can be longitude/latitude. */
export function isLonLat([x, y]: readonly number[]): boolean {
  return x >= -180 && x <= 180 && y >= -90 && y <= 90
}

/** Whether a position lies where RD New coordinates can lie. */
export function isRdNew([x, y]: readonly number[]): boolean {
  return (
    x >= rdNewBounds.minX && x <= rdNewBounds.maxX && y >= rdNewBounds.minY && y <= rdNewBounds.maxY
  )
}

const round = (value: number) => {
  const factor = 10 ** storedDecimals
  return Math.round(value * factor) / factor
}

/** One RD New position (x, y in metres; a third value, a height, is kept) as [longitude, latitude]. */
export function rdNewToWgs84(position: readonly number[]): number[] {
  const [longitude, latitude] = rdToWgs84.forward([position[0], position[1]])
  return [round(longitude), round(latitude), ...position.slice(2)]
}
