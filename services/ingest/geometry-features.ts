import { isAreaCode } from '../domain/areas.js'
import { areaNameProblem, type RowError } from './snapshot-validator.js'

/**
 * Reads area boundaries from a GeoJSON FeatureCollection (DESIGN.md §3 `POST /v1/geometries`).
 * A feature's code comes from `codeProperty` when given, else from the first present of
 * BU_CODE, WK_CODE, GM_CODE, statcode, gemeentecode (CBS's and PDOK's names); a bare number of up
 * to 4 digits is a municipality (`518` or `0518` → `GM0518`). The name likewise from BU_NAAM,
 * WK_NAAM, GM_NAAM, statnaam or gemeentenaam, whichever belongs to the code's level.
 */
export const codeProperties = ['BU_CODE', 'WK_CODE', 'GM_CODE', 'statcode', 'gemeentecode'] as const
const nameByCodeProperty: Record<string, string> = {
  BU_CODE: 'BU_NAAM',
  WK_CODE: 'WK_NAAM',
  GM_CODE: 'GM_NAAM',
  statcode: 'statnaam',
  gemeentecode: 'gemeentenaam',
}

export interface GeometryFeature {
  area_code: string
  area_name: string | null
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown }
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

export function readGeometryFeatures(
  body: unknown,
  codeProperty?: string,
): { features: GeometryFeature[]; errors: RowError[] } {
  const errors: RowError[] = []
  const features: GeometryFeature[] = []
  const collection = body as { type?: unknown; features?: unknown }
  if (
    collection === null ||
    typeof collection !== 'object' ||
    collection.type !== 'FeatureCollection' ||
    !Array.isArray(collection.features)
  ) {
    return {
      features,
      errors: [{ row: 1, column: null, message: 'the body must be a GeoJSON FeatureCollection' }],
    }
  }
  if (collection.features.length === 0) {
    return {
      features,
      errors: [{ row: 1, column: null, message: 'the FeatureCollection has no features' }],
    }
  }
  const seen = new Set<string>()
  collection.features.forEach((raw: unknown, index: number) => {
    const row = index + 1
    const feature = raw as {
      type?: unknown
      properties?: Record<string, unknown> | null
      geometry?: { type?: unknown; coordinates?: unknown } | null
    }
    const properties = feature?.properties ?? {}
    const property =
      codeProperty ??
      codeProperties.find(
        (name) =>
          properties[name] !== undefined && properties[name] !== null && properties[name] !== '',
      )
    if (!property || properties[property] === undefined || properties[property] === null) {
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
    const geometryType = feature.geometry?.type
    if (geometryType !== 'Polygon' && geometryType !== 'MultiPolygon') {
      errors.push({
        row,
        column: 'geometry',
        message: `feature ${row} (${code}) must have a Polygon or MultiPolygon geometry`,
      })
      return
    }
    if (!Array.isArray(feature.geometry!.coordinates)) {
      errors.push({
        row,
        column: 'geometry',
        message: `feature ${row} (${code}) has no coordinates`,
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
    const nameProperty = nameByCodeProperty[property]
    const name = nameProperty ? properties[nameProperty] : undefined
    // Names from boundaries are stored on the same areas as upload names: the same rule.
    const nameProblem = typeof name === 'string' ? areaNameProblem(name) : undefined
    if (nameProblem) {
      errors.push({
        row,
        column: nameProperty,
        message: `feature ${row} (${code}): ${nameProblem.replace(/^area_name/, nameProperty)}`,
      })
      return
    }
    features.push({
      area_code: code,
      area_name: typeof name === 'string' && name.trim() !== '' ? name : null,
      geometry: { type: geometryType, coordinates: feature.geometry!.coordinates },
    })
  })
  return { features, errors }
}
