import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { badRequest } from '../errors.js'

/** How a numeric query parameter must be written: plain decimal digits, at most 15 of them. */
const wholeNumber = /^-?\d{1,15}$/
const decimalNumber = /^-?\d{1,15}(\.\d{1,15})?$/

interface NumericParameter {
  name: string
  kind: 'integer' | 'number'
}

/** The integer and number properties of a route's querystring schema. */
function numericParameters(schema: unknown): NumericParameter[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)
    ?.properties
  if (!properties) return []
  return Object.entries(properties).flatMap(([name, property]) =>
    property.type === 'integer' || property.type === 'number'
      ? [{ name, kind: property.type as 'integer' | 'number' }]
      : [],
  )
}

/**
 * Numeric query parameters are plain decimal numbers (issue 14, finding 10). The validator
 * coerces query strings, and `Infinity`, `1e309`, `0x10` or `99999999999999999999` coerce to
 * numbers that passed as integers and reached the database as a dropped LIMIT or an out-of-range
 * OFFSET (500). Before validation, every numeric parameter of the route's querystring schema must
 * be written in digits (at most 15, so it is an exact, safe number); then the schema's bounds
 * apply. A 400 names the parameter and the rule.
 */
export default fp(
  async function numericParameterCheck(fastify: FastifyInstance) {
    fastify.addHook('onRoute', (route) => {
      const parameters = numericParameters(route.schema?.querystring)
      if (parameters.length === 0) return
      const check = async (request: FastifyRequest) => {
        const query = request.query as Record<string, unknown>
        for (const { name, kind } of parameters) {
          const value = query[name]
          if (value === undefined) continue
          const text = Array.isArray(value) ? value.join(',') : String(value)
          const pattern = kind === 'integer' ? wholeNumber : decimalNumber
          if (!pattern.test(text)) {
            throw badRequest(
              `${name} must be ${kind === 'integer' ? 'a whole number' : 'a number'} written in at most 15 digits (like 10), got "${text.slice(0, 40)}"`,
              [{ in: 'querystring', path: `/${name}`, message: 'must be a plain decimal number' }],
            )
          }
        }
      }
      const existing = route.preValidation
      route.preValidation = [
        check,
        ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
      ]
    })
  },
  { name: 'numeric-parameters' },
)
