/**
 * The one application error type (after Practica.js): a stable snake_case `code`, the HTTP
 * status, a message for people and optional `details`. The error handler in `app.ts` turns it
 * into `{error: {code, message, details?}}`.
 */
export class AppError extends Error {
  readonly code: string
  readonly statusCode: number
  readonly details?: unknown
  readonly headers?: Record<string, string>

  constructor(
    statusCode: number,
    code: string,
    message: string,
    details?: unknown,
    headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'AppError'
    this.statusCode = statusCode
    this.code = code
    this.details = details
    this.headers = headers
  }
}

/** Every error code the API sends, listed in the OpenAPI description. */
export const errorCodes = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'out_of_scope',
  'not_found',
  'conflict',
  'request_timeout',
  'payload_too_large',
  'unsupported_media_type',
  'invalid_rows',
  'no_model_run',
  'not_estimable',
  'rate_limited',
  'service_unavailable',
  'internal_error',
] as const

export const badRequest = (message: string, details?: unknown) =>
  new AppError(400, 'bad_request', message, details)
export const notFound = (message: string) => new AppError(404, 'not_found', message)
export const unauthorized = (message: string) => new AppError(401, 'unauthorized', message)
export const forbidden = (message: string) => new AppError(403, 'forbidden', message)
export const payloadTooLarge = (message: string) => new AppError(413, 'payload_too_large', message)
/** The message of every answer refused because the database cannot be reached. */
export const databaseUnreachable = 'the database cannot be reached right now; retry shortly'
export const serviceUnavailable = (message: string) =>
  new AppError(503, 'service_unavailable', message, undefined, { 'retry-after': '5' })
