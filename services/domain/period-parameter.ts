import { canonicalQuarter } from '../../models/periods/quarter.js'
import { badRequest } from '../errors.js'

/**
 * A quarter given in a request (query or body) in any accepted spelling (`2024Q3`, `2024-Q3`,
 * `2024 Q3`, `2024KW03`), in canonical form; undefined when absent; 400 naming the parameter when
 * it is not a quarter.
 */
export function periodParameter(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const period = canonicalQuarter(value)
  if (!period) throw badRequest(`${name} must be a quarter like 2024Q3, got "${value}"`)
  return period
}
