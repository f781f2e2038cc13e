/**
 * Recognises errors that mean "the database cannot be reached right now" (as opposed to a bad
 * query): refused or reset connections, a pool that cannot hand out a connection in time, and
 * PostgreSQL's connection-exception and shutdown classes. They answer 503 with Retry-After, so a
 * client knows to come back; the service recovers by itself when the database returns.
 */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
])

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as NodeJS.ErrnoException).code
  if (code && networkCodes.has(code)) return true
  // SQLSTATE class 08 (connection exception), 57P01–57P03 (admin shutdown, cannot connect now).
  if (typeof code === 'string' && (/^08/.test(code) || /^57P0[123]$/.test(code))) return true
  return /Knex: Timeout acquiring a connection|Connection terminated|connection timeout|Client has encountered a connection error|database ping timed out/i.test(
    error.message,
  )
}
