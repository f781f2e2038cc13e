import { canonicalQuarter } from '../../models/periods/quarter.js'
import { badRequest } from '../errors.js'

/**
 * Parameters of a request that routes parse into domain values, each answering 400 naming the
 * parameter when it cannot be read.
 */

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

/** An ISO 8601 time that states its offset (`Z` or `±hh:mm`): a time parameter never guesses a zone. */
const isoWithOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i

/**
 * A time parameter (`as_of`, `expires_at`): undefined when absent, else the instant it names;
 * a time without an offset or that is not a time is a 400 naming the parameter.
 */
export function timeParameter(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const time = new Date(value)
  if (!isoWithOffset.test(value) || Number.isNaN(time.getTime())) {
    throw badRequest(
      `${name} must be an ISO 8601 time with an offset, like 2025-01-01T00:00:00+01:00; got "${value}"`,
    )
  }
  return time
}
