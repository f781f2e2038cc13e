/* global fetch, sessionStorage, XMLHttpRequest */
/**
 * The dashboard's only way to the API: same origin, `Authorization: Bearer <key>` from
 * sessionStorage, errors as ApiError carrying the service's `{error: {code, message, details}}`.
 */

const keyStorage = 'aanwas.key'

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} [details]
   */
  constructor(status, code, message, details) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

/** Raised instead of a request to a route this server does not have (yet). */
export class NotAvailableError extends Error {
  constructor(route) {
    super(`not available: ${route}`)
    this.name = 'NotAvailableError'
    this.route = route
  }
}

export function getKey() {
  try {
    return sessionStorage.getItem(keyStorage)
  } catch {
    return null
  }
}

export function setKey(key) {
  sessionStorage.setItem(keyStorage, key)
}

export function clearKey() {
  try {
    sessionStorage.removeItem(keyStorage)
  } catch {
    // nothing kept
  }
}

/** Called when the service answers 401: the key is gone or revoked. */
let onUnauthorized = () => undefined
export function whenUnauthorized(handler) {
  onUnauthorized = handler
}

async function errorOf(response) {
  let body
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  const error = body && typeof body === 'object' ? body.error : undefined
  return new ApiError(
    response.status,
    error?.code ?? 'http_error',
    error?.message ?? `HTTP ${response.status}`,
    error?.details,
  )
}

/**
 * A JSON request to the API.
 * @param {string} path e.g. `/v1/risk?municipality=GM0518`
 * @param {{method?: string, body?: unknown, key?: string}} [options]
 */
export async function api(path, options = {}) {
  const key = options.key ?? getKey()
  const headers = { accept: 'application/json' }
  if (key) headers.authorization = `Bearer ${key}`
  let body
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body })
  if (response.status === 401 && !options.key) onUnauthorized()
  if (!response.ok) throw await errorOf(response)
  if (response.status === 204) return null
  return response.json()
}

/**
 * The routes the service documents (its OpenAPI at /docs/json), loaded once, so the dashboard
 * asks only for routes that exist and shows "not available" for the others instead of a 404.
 * When the document cannot be read every route is assumed present.
 * @type {Promise<Set<string> | null> | undefined}
 */
let documentedRoutes

function loadRoutes() {
  documentedRoutes ??= fetch('/docs/json', { headers: { accept: 'application/json' } })
    .then((response) => (response.ok ? response.json() : null))
    .then((document) => {
      if (!document || typeof document.paths !== 'object') return null
      const routes = new Set()
      for (const [path, methods] of Object.entries(document.paths)) {
        for (const method of Object.keys(methods)) routes.add(`${method.toUpperCase()} ${path}`)
      }
      return routes
    })
    .catch(() => null)
  return documentedRoutes
}

/**
 * Whether the service has a route, e.g. `available('GET', '/v1/alerts')` or
 * `available('GET', '/v1/areas/{code}/trend')`.
 */
export async function available(method, template) {
  const routes = await loadRoutes()
  return routes === null || routes.has(`${method} ${template}`)
}

/** `api()` when the route exists, else a NotAvailableError. */
export async function apiIfAvailable(template, path, options = {}) {
  const method = options.method ?? 'GET'
  if (!(await available(method, template))) throw new NotAvailableError(template)
  return api(path, options)
}

/**
 * Uploads a file as text/csv with upload progress (fetch has none, so XMLHttpRequest).
 * @param {string} path
 * @param {Blob} file
 * @param {(sent: number, total: number) => void} onProgress
 * @returns {Promise<{status: number, body: any}>}
 */
export function uploadCsv(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', path)
    const key = getKey()
    if (key) request.setRequestHeader('authorization', `Bearer ${key}`)
    request.setRequestHeader('content-type', 'text/csv')
    request.setRequestHeader('accept', 'application/json')
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total)
    })
    request.addEventListener('load', () => {
      let body
      try {
        body = JSON.parse(request.responseText)
      } catch {
        body = null
      }
      if (request.status === 401) onUnauthorized()
      resolve({ status: request.status, body })
    })
    request.addEventListener('error', () => reject(new Error('network error')))
    request.send(file)
  })
}
