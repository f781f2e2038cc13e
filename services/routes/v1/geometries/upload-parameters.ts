import { badRequest } from '../../../errors.js'

/**
 * The query of `POST /v1/geometries` (services/schemas/geometries.ts `GeometryUploadQuerySchema`).
 * The route switches Fastify's validator off so the GeoJSON body is read by hand, which also
 * switches off the query's validation and coercion: this does that part, answering 400 naming
 * the parameter as the schema validation would.
 */
export function geometryUploadParameters(query: unknown): {
  codeProperty?: string
  skipInvalid: boolean
} {
  const parameters = (query ?? {}) as Record<string, unknown>
  const unknown = Object.keys(parameters).filter(
    (name) => name !== 'code_property' && name !== 'skip_invalid',
  )
  if (unknown.length > 0) {
    throw badRequest(
      `unknown query parameter ${unknown.map((name) => `"${name}"`).join(', ')}; accepted are code_property and skip_invalid`,
    )
  }
  const { code_property: codeProperty, skip_invalid: skipInvalid } = parameters
  if (
    codeProperty !== undefined &&
    (typeof codeProperty !== 'string' || codeProperty.length < 1 || codeProperty.length > 64)
  ) {
    throw badRequest('code_property must be a property name of 1 to 64 characters, given once')
  }
  if (skipInvalid !== undefined && skipInvalid !== 'true' && skipInvalid !== 'false') {
    throw badRequest(`skip_invalid must be true or false, got ${JSON.stringify(skipInvalid)}`)
  }
  return { codeProperty, skipInvalid: skipInvalid === 'true' }
}
