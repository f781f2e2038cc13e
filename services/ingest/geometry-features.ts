import { isAreaCode, municipalityCode } from '../domain/areas.js'
import { areaNameProblem, type RowError } from './snapshot-validator.js'
import {
  declaredCoordinateSystem,
  isLonLat,
  isRdNew,
  rdNewBounds,
  rdNewToWgs84,
  type CoordinateSystem,
} from './coordinate-systems.js'

/**
 * Reads area boundaries from a GeoJSON FeatureCollection (DESIGN.md §3 `POST /v1/geometries`,
 * issue 16).
 *
 * **Code.** From `codeProperty` when given (matched exactly), else from the first present of
 * {@link codeProperties} (matched ignoring case, as GIS tools often change the case of names):
 * the feature's own code first. `statcode` is CBS's name for the region's own code at any level
 * (PDOK gebiedsindelingen, cartomap); after it the most specific level first, because CBS and
 * PDOK files also carry the codes of every parent: a PDOK 2022+ buurt has `buurtcode`,
 * `wijkcode` and `gemeentecode`, a CBS shapefile buurt `BU_CODE`, `WK_CODE` and `GM_CODE`.
 * Taking a parent's code would make every buurt of one municipality "GM0518". A bare number of
 * up to 4 digits is a municipality (`518` or `0518` → `GM0518`). The name comes from the
 * property that belongs to the code's property (BU_NAAM, buurtnaam, statnaam, …).
 *
 * **Coordinates.** WGS84 longitude/latitude is stored as given; RD New (EPSG:28992), declared in
 * the GeoJSON 2008 `crs` member or recognised by its range, is reprojected
 * (`coordinate-systems.ts`). A file is in one system: mixed or unknown coordinates are rejected.
 *
 * **Features that are not areas.** `GM0998` is CBS's "Buitenland" (abroad), not a municipality:
 * always left out, and listed. A feature whose geometry is empty (null, no coordinates) or
 * collapsed (a Point or line, or a polygon of zero area: what map simplification leaves of a
 * small area, e.g. BU05460900 in CBS's 2015 Haaglanden file) rejects the file, unless
 * `skipInvalid` is set: then it is left out and listed. Anything else wrong with a feature (no or
 * a bad code, a duplicate, a malformed geometry, a bad name) always rejects the file.
 */
export const codeProperties = [
  'statcode',
  'BU_CODE',
  'buurtcode',
  'WK_CODE',
  'wijkcode',
  'GM_CODE',
  'gemeentecode',
] as const

const nameByCodeProperty: Record<string, string> = {
  statcode: 'statnaam',
  bu_code: 'BU_NAAM',
  buurtcode: 'buurtnaam',
  wk_code: 'WK_NAAM',
  wijkcode: 'wijknaam',
  gm_code: 'GM_NAAM',
  gemeentecode: 'gemeentenaam',
}

/** CBS's code for "Buitenland" (abroad), present in PDOK's and CBS's municipality files. */
export const abroadMunicipalityCode = 'GM0998'

export interface GeometryFeature {
  area_code: string
  area_name: string | null
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown }
}

/** Why a feature was left out: `abroad` always, the geometry rules only when asked to. */
export type SkipRule = 'abroad' | 'empty_geometry' | 'collapsed_geometry'

export interface SkippedFeature {
  /** The feature's position in the file counted from 1, as `row` in the error list. */
  row: number
  area_code: string | null
  rule: SkipRule
  reason: string
}

export interface GeometryReadOptions {
  /** The property holding the code; overrides the built-in list. */
  codeProperty?: string
  /** Leave out features with an empty or collapsed geometry instead of rejecting the file. */
  skipInvalid?: boolean
}

export interface GeometryRead {
  features: GeometryFeature[]
  skipped: SkippedFeature[]
  errors: RowError[]
  /** The coordinate system the file was read in (`rd_new` was reprojected to WGS84). */
  coordinateSystem: CoordinateSystem
}

function normaliseCode(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 9999) {
    return `GM${String(value).padStart(4, '0')}`
  }
  if (typeof value !== 'string') return undefined
  const text = value.trim().toUpperCase()
  if (/^\d{1,4}$/.test(text)) return `GM${text.padStart(4, '0')}`
  return text
}

const present = (value: unknown) => value !== undefined && value !== null && value !== ''

/** The property (its spelling in the file) holding the feature's code, if any. */
function findCodeProperty(properties: Record<string, unknown>): string | undefined {
  const byLowerCase = new Map<string, string>()
  for (const key of Object.keys(properties)) {
    if (present(properties[key]) && !byLowerCase.has(key.toLowerCase()))
      byLowerCase.set(key.toLowerCase(), key)
  }
  for (const name of codeProperties) {
    const key = byLowerCase.get(name.toLowerCase())
    if (key !== undefined) return key
  }
  return undefined
}

/** The name property that goes with a code property, in the spelling the file uses. */
function findNameProperty(
  properties: Record<string, unknown>,
  codeProperty: string,
): string | undefined {
  const wanted = nameByCodeProperty[codeProperty.toLowerCase()]
  if (!wanted) return undefined
  return Object.keys(properties).find((key) => key.toLowerCase() === wanted.toLowerCase()) ?? wanted
}

type Position = number[]

const isPosition = (value: unknown): value is Position =>
  Array.isArray(value) &&
  value.length >= 2 &&
  value.every((coordinate) => typeof coordinate === 'number' && Number.isFinite(coordinate))

/** Every position in nested coordinate arrays, whatever their shape; `false` when malformed. */
function positionsOf(coordinates: unknown, into: Position[] = []): Position[] | false {
  if (!Array.isArray(coordinates)) return false
  if (coordinates.length > 0 && typeof coordinates[0] === 'number') {
    if (!isPosition(coordinates)) return false
    into.push(coordinates)
    return into
  }
  for (const child of coordinates) if (positionsOf(child, into) === false) return false
  return into
}

/** Whether `coordinates` has exactly the nesting of a Polygon (rings of positions). */
const isPolygonShape = (coordinates: unknown): coordinates is Position[][] =>
  Array.isArray(coordinates) &&
  coordinates.every((ring) => Array.isArray(ring) && ring.every((position) => isPosition(position)))

/**
 * Whether a ring encloses no area: twice its signed area by the shoelace formula, taken relative
 * to its first vertex (so 52° latitudes do not cancel away the digits that matter), is zero up to
 * rounding noise (1e-12 of its extent squared). Rings of collinear or repeated points qualify.
 */
function hasNoArea(ring: readonly Position[]): boolean {
  if (ring.length < 3) return true
  const [x0, y0] = ring[0]
  let twiceArea = 0
  let extent = 0
  for (let i = 0; i < ring.length; i += 1) {
    const [x1, y1] = ring[i]
    const [x2, y2] = ring[(i + 1) % ring.length]
    twiceArea += (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    extent = Math.max(extent, Math.abs(x1 - x0), Math.abs(y1 - y0))
  }
  return Math.abs(twiceArea) <= 1e-12 * extent * extent
}

type GeometryCheck =
  | { kind: 'polygon'; type: 'Polygon' | 'MultiPolygon'; polygons: Position[][][] }
  | { kind: 'skippable'; rule: 'empty_geometry' | 'collapsed_geometry'; what: string }
  | { kind: 'invalid'; message: string }

const lineOrPointTypes = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString'])

/** Classifies a feature's geometry: a usable (Multi)Polygon, empty or collapsed, or malformed. */
function checkGeometry(geometry: unknown): GeometryCheck {
  if (geometry === null || geometry === undefined)
    return { kind: 'skippable', rule: 'empty_geometry', what: 'has no geometry (null)' }
  const { type, coordinates } = geometry as { type?: unknown; coordinates?: unknown }
  if (type === 'Polygon' || type === 'MultiPolygon') {
    const polygons = type === 'Polygon' ? [coordinates] : coordinates
    if (!Array.isArray(polygons) || !polygons.every(isPolygonShape)) {
      return {
        kind: 'invalid',
        message: `has ${type} coordinates that are not ${type === 'Polygon' ? 'rings' : 'polygons of rings'} of [x, y] number positions`,
      }
    }
    if (polygons.every((polygon) => polygon.every((ring) => ring.length === 0)))
      return { kind: 'skippable', rule: 'empty_geometry', what: `has an empty ${type}` }
    // Only outer rings count: holes cannot give an area to a polygon whose outline has none.
    if (polygons.every((polygon) => polygon.length === 0 || hasNoArea(polygon[0]))) {
      return {
        kind: 'skippable',
        rule: 'collapsed_geometry',
        what: `has a ${type} of zero area (collapsed to a point or line)`,
      }
    }
    return { kind: 'polygon', type, polygons }
  }
  if (typeof type === 'string' && lineOrPointTypes.has(type)) {
    const positions = positionsOf(coordinates)
    if (positions === false)
      return { kind: 'invalid', message: `has ${type} coordinates that are not [x, y] positions` }
    if (positions.length === 0)
      return { kind: 'skippable', rule: 'empty_geometry', what: `has an empty ${type}` }
    return {
      kind: 'skippable',
      rule: 'collapsed_geometry',
      what: `has a ${type} geometry, which has no area (simplification collapses small areas to points or lines)`,
    }
  }
  if (type === 'GeometryCollection') {
    const members = (geometry as { geometries?: unknown }).geometries
    if (Array.isArray(members) && members.length === 0)
      return { kind: 'skippable', rule: 'empty_geometry', what: 'has an empty GeometryCollection' }
  }
  return {
    kind: 'invalid',
    message: `must have a Polygon or MultiPolygon geometry, got ${typeof type === 'string' ? type : JSON.stringify(type ?? null)}`,
  }
}

const describePosition = (position: Position) => `(${position[0]}, ${position[1]})`

const rdRange = `x ${rdNewBounds.minX} to ${rdNewBounds.maxX}, y ${rdNewBounds.minY} to ${rdNewBounds.maxY} m`

/**
 * The file's coordinate system: the declared one, else the one every position fits (lon/lat
 * first; the two ranges do not overlap). An error at row 1 (`crs`) when the declaration names an
 * unsupported system or the positions fit neither or mix both.
 */
function fileCoordinateSystem(
  crs: unknown,
  features: readonly unknown[],
): { system: CoordinateSystem } | { error: RowError } {
  const declared = declaredCoordinateSystem(crs)
  if (declared) {
    if (declared.system) return { system: declared.system }
    return {
      error: {
        row: 1,
        column: 'crs',
        message:
          `the file declares the coordinate system "${declared.name}"; boundaries are read in WGS84 ` +
          'longitude/latitude (CRS84, EPSG:4326) or RD New (EPSG:28992): reproject the file to one ' +
          'of them (e.g. ogr2ogr -t_srs EPSG:4326)',
      },
    }
  }
  let lonLat = true
  let rdNew = true
  for (const [index, raw] of features.entries()) {
    const positions = positionsOf(
      (raw as { geometry?: { coordinates?: unknown } } | null)?.geometry?.coordinates,
    )
    if (positions === false) continue // a malformed geometry is reported with its feature
    for (const position of positions) {
      lonLat &&= isLonLat(position)
      rdNew &&= isRdNew(position)
      if (!lonLat && !rdNew) {
        return {
          error: {
            row: 1,
            column: 'crs',
            message:
              `the coordinates are neither WGS84 longitude/latitude nor RD New (EPSG:28992, ${rdRange}) ` +
              `throughout: feature ${index + 1} has ${describePosition(position)}; declare the file's ` +
              'coordinate system in a "crs" member or reproject it to WGS84',
          },
        }
      }
    }
  }
  return { system: lonLat ? 'wgs84' : 'rd_new' }
}

/** The first position outside the system's range, if any. */
function positionOutside(polygons: Position[][][], system: CoordinateSystem): Position | undefined {
  const fits = system === 'rd_new' ? isRdNew : isLonLat
  for (const polygon of polygons)
    for (const ring of polygon) for (const position of ring) if (!fits(position)) return position
  return undefined
}

const reproject = (polygons: Position[][][]) =>
  polygons.map((polygon) => polygon.map((ring) => ring.map((position) => rdNewToWgs84(position))))

export function readGeometryFeatures(
  body: unknown,
  options: GeometryReadOptions = {},
): GeometryRead {
  const { codeProperty, skipInvalid = false } = options
  const errors: RowError[] = []
  const features: GeometryFeature[] = []
  const skipped: SkippedFeature[] = []
  const collection = body as { type?: unknown; features?: unknown; crs?: unknown }
  const rejected = (message: string, column: string | null = null): GeometryRead => ({
    features,
    skipped,
    errors: [{ row: 1, column, message }],
    coordinateSystem: 'wgs84',
  })
  if (
    collection === null ||
    typeof collection !== 'object' ||
    collection.type !== 'FeatureCollection' ||
    !Array.isArray(collection.features)
  ) {
    return rejected('the body must be a GeoJSON FeatureCollection')
  }
  if (collection.features.length === 0) return rejected('the FeatureCollection has no features')
  const detected = fileCoordinateSystem(collection.crs, collection.features)
  if ('error' in detected) return rejected(detected.error.message, 'crs')
  const system = detected.system

  const seen = new Set<string>()
  collection.features.forEach((raw: unknown, index: number) => {
    const row = index + 1
    const feature = raw as {
      properties?: Record<string, unknown> | null
      geometry?: unknown
    } | null
    const properties = feature?.properties ?? {}
    const property = codeProperty ?? findCodeProperty(properties)
    if (!property || !present(properties[property])) {
      errors.push({
        row,
        column: codeProperty ?? null,
        message: `feature ${row} has no area code (${codeProperty ?? codeProperties.join(', ')})`,
      })
      return
    }
    const code = normaliseCode(properties[property])
    if (!code || !isAreaCode(code)) {
      errors.push({
        row,
        column: property,
        message: `feature ${row}: ${JSON.stringify(properties[property])} is not a CBS area code`,
      })
      return
    }
    if (municipalityCode(code) === abroadMunicipalityCode) {
      skipped.push({
        row,
        area_code: code,
        rule: 'abroad',
        reason: `feature ${row} (${code}): ${abroadMunicipalityCode} is CBS's code for "Buitenland" (abroad), not a municipality; left out`,
      })
      return
    }
    const geometry = checkGeometry(feature?.geometry)
    if (geometry.kind === 'invalid') {
      errors.push({
        row,
        column: 'geometry',
        message: `feature ${row} (${code}) ${geometry.message}`,
      })
      return
    }
    if (geometry.kind === 'skippable') {
      const reason = `feature ${row} (${code}) ${geometry.what}`
      if (skipInvalid) skipped.push({ row, area_code: code, rule: geometry.rule, reason })
      else {
        errors.push({
          row,
          column: 'geometry',
          message:
            `${reason}: a boundary must be a Polygon or MultiPolygon with an area; fix the feature, ` +
            'or skip such features with skip_invalid=true (CLI: --skip-invalid)',
        })
      }
      return
    }
    const outside = positionOutside(geometry.polygons, system)
    if (outside) {
      errors.push({
        row,
        column: 'geometry',
        message:
          system === 'rd_new'
            ? `feature ${row} (${code}) has ${describePosition(outside)}, outside RD New (EPSG:28992, ${rdRange}), the coordinate system the file declares`
            : `feature ${row} (${code}) has ${describePosition(outside)}, which is not a longitude/latitude; the file declares WGS84`,
      })
      return
    }
    if (seen.has(code)) {
      errors.push({
        row,
        column: property,
        message: `feature ${row}: ${code} appears more than once`,
      })
      return
    }
    seen.add(code)
    const nameProperty = findNameProperty(properties, property)
    const name = nameProperty ? properties[nameProperty] : undefined
    // Names from boundaries are stored on the same areas as upload names: the same rule.
    const nameProblem = typeof name === 'string' ? areaNameProblem(name) : undefined
    if (nameProblem && nameProperty) {
      errors.push({
        row,
        column: nameProperty,
        message: `feature ${row} (${code}): ${nameProblem.replace(/^area_name/, nameProperty)}`,
      })
      return
    }
    const polygons = system === 'rd_new' ? reproject(geometry.polygons) : geometry.polygons
    features.push({
      area_code: code,
      area_name: typeof name === 'string' && name.trim() !== '' ? name : null,
      geometry: {
        type: geometry.type,
        // stored as given in WGS84 (the file's own rounding), reprojected from RD New
        coordinates:
          system === 'rd_new'
            ? geometry.type === 'Polygon'
              ? polygons[0]
              : polygons
            : (feature!.geometry as { coordinates: unknown }).coordinates,
      },
    })
  })
  return { features, skipped, errors, coordinateSystem: system }
}
