import { createHmac } from 'node:crypto'
import { request as httpRequest, type ClientRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupAddress, LookupOptions } from 'node:dns'
import type { LookupFunction } from 'node:net'

/**
 * Webhook delivery (DESIGN.md §3 POST /v1/webhooks): the signature, the retry schedule, the
 * failure classes and one POST behind a transport interface, so the outbox worker in services/
 * decides what to send and tests or other transports decide how. The HTTP transport connects
 * only where a check given by services/ allows (which targets are allowed is not decided here).
 * No database here.
 */

/** The longest wait between two attempts (DESIGN.md: "up to 10 minutes apart"). */
export const maxRetryDelayMs = 10 * 60_000

/** How long one POST may take before it counts as failed. */
export const deliveryTimeoutMs = 10_000

/** `sha256=<hex HMAC-SHA256 of the raw body with the webhook's secret>`, the X-Aanwas-Signature. */
export function signatureOf(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
}

/**
 * The wait before attempt `attempts + 1` after `attempts` failed ones: exponential backoff from
 * `baseMs` (AANWAS_WEBHOOK_RETRY_MS), doubling per failure, capped at 10 minutes, with "equal
 * jitter" (half fixed, half uniform), so receivers coming back after an outage are not hit by
 * every instance's retries at the same moment while the wait never drops below half the step.
 *
 * @param attempts failed attempts so far, ≥ 1
 * @param baseMs the first delay in ms, > 0
 * @param random a uniform number in [0, 1) (Math.random in service, seeded in tests)
 */
export function retryDelayMs(attempts: number, baseMs: number, random: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30)
  const step = Math.min(maxRetryDelayMs, baseMs * 2 ** exponent)
  return Math.round(step / 2 + (step / 2) * random)
}

export interface WebhookRequest {
  url: string
  body: string
  headers: Record<string, string>
}

/**
 * Why an attempt failed, one class per cause and no more detail: the delivery log is shown to
 * admins, and raw socket errors (ECONNREFUSED against a timeout) would tell a closed port from a
 * filtered one. `address_refused`: the target is not an allowed address, nothing was sent;
 * `http_status`: an answer other than 2xx arrived.
 */
export const webhookFailures = [
  'address_refused',
  'dns_failed',
  'connection_failed',
  'timeout',
  'tls_failed',
  'http_status',
] as const
export type WebhookFailure = (typeof webhookFailures)[number]

/** The fixed text shown for each failure class. */
export const webhookFailureTexts: Readonly<Record<WebhookFailure, string>> = {
  address_refused: 'target address refused: webhook targets must be public addresses',
  dns_failed: 'the host name did not resolve',
  connection_failed: 'no connection could be made',
  timeout: `no answer within ${deliveryTimeoutMs / 1000} s`,
  tls_failed: 'the TLS handshake failed',
  http_status: 'the receiver answered with a status other than 2xx',
}

export function isWebhookFailure(value: unknown): value is WebhookFailure {
  return (webhookFailures as readonly unknown[]).includes(value)
}

export interface WebhookResponse {
  /** HTTP status, or null when no answer arrived */
  statusCode: number | null
  /** why it failed (null for a 2xx answer); a non-2xx answer without a class is `http_status` */
  failure: WebhookFailure | null
}

/** Sends one POST; never throws (a failure is a response with a failure class). */
export interface WebhookTransport {
  post(request: WebhookRequest): Promise<WebhookResponse>
}

/** An address a delivery may connect to, as `dns.lookup` gives it. */
export interface TargetAddress {
  address: string
  family: 4 | 6
}

/**
 * Checks a target right before it is sent to: the addresses the connection may use, or why not
 * (the rule itself lives in services/, see services/domain/webhook-target.ts).
 */
export type TargetCheck = (
  url: URL,
) => Promise<{ addresses: TargetAddress[] } | { failure: 'address_refused' | 'dns_failed' }>

/** TLS failures by error code (Node's own and OpenSSL's certificate verification codes). */
function isTlsError(code: string | undefined): boolean {
  return (
    code !== undefined &&
    (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_)/.test(code) ||
      ['EPROTO', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN'].includes(code))
  )
}

/**
 * A `lookup` for `http.request` that answers only the vetted addresses, so the connection goes
 * where the check said and a DNS answer changed since (rebinding) is never asked for.
 */
function pinnedLookup(addresses: readonly TargetAddress[]): LookupFunction {
  return ((
    _hostname: string,
    options: LookupOptions,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ) => {
    const wanted =
      options.family === 4 || options.family === 6
        ? addresses.filter((entry) => entry.family === options.family)
        : addresses
    const usable = wanted.length > 0 ? wanted : addresses
    if (options.all)
      callback(
        null,
        usable.map((entry) => ({ ...entry })),
      )
    else callback(null, usable[0].address, usable[0].family)
  }) as LookupFunction
}

/**
 * HTTP(S) POST with `node:http`/`node:https`: checks the target first (`check`, run at every
 * attempt, so a DNS change since registration is seen), then connects only to the checked
 * addresses. One fresh connection per POST (no pooled socket to an address vetted earlier),
 * redirects not followed, `timeoutMs` for the whole attempt, the check included.
 */
export function createHttpTransport(
  check: TargetCheck,
  timeoutMs: number = deliveryTimeoutMs,
): WebhookTransport {
  return {
    post(request) {
      return new Promise<WebhookResponse>((resolve) => {
        let settled = false
        let outgoing: ClientRequest | undefined
        const finish = (response: WebhookResponse) => {
          if (settled) return
          settled = true
          resolve(response)
        }
        const timer = setTimeout(() => {
          outgoing?.destroy()
          finish({ statusCode: null, failure: 'timeout' })
        }, timeoutMs)
        let url: URL
        try {
          url = new URL(request.url)
        } catch {
          clearTimeout(timer)
          return finish({ statusCode: null, failure: 'address_refused' })
        }
        const connect = (addresses: readonly TargetAddress[]) => {
          const send = url.protocol === 'https:' ? httpsRequest : httpRequest
          outgoing = send(url, {
            method: 'POST',
            headers: {
              ...request.headers,
              'content-length': String(Buffer.byteLength(request.body, 'utf8')),
            },
            agent: false,
            lookup: pinnedLookup(addresses),
          })
          outgoing.on('response', (response) => {
            // The status is all we need; the body is drained so the connection can close, and
            // the timer still ends a body that never does.
            response.on('error', () => undefined)
            response.resume()
            const statusCode = response.statusCode ?? null
            const ok = statusCode !== null && statusCode >= 200 && statusCode < 300
            finish({ statusCode, failure: ok ? null : 'http_status' })
          })
          outgoing.on('error', (error: NodeJS.ErrnoException) => {
            clearTimeout(timer)
            const tls = url.protocol === 'https:' && isTlsError(error.code)
            finish({ statusCode: null, failure: tls ? 'tls_failed' : 'connection_failed' })
          })
          outgoing.on('close', () => clearTimeout(timer))
          outgoing.end(request.body)
        }
        const fail = (failure: WebhookFailure) => {
          clearTimeout(timer)
          outgoing?.destroy()
          finish({ statusCode: null, failure })
        }
        check(url).then(
          (checked) => {
            if (settled) return
            if ('failure' in checked) return fail(checked.failure)
            if (checked.addresses.length === 0) return fail('dns_failed')
            try {
              connect(checked.addresses)
            } catch {
              fail('connection_failed')
            }
          },
          // A check that could not finish vetted nothing: nothing is sent.
          () => fail('address_refused'),
        )
      })
    },
  }
}

export interface WebhookEvent {
  event_id: string
  event_type: string
  url: string
  secret: string
  /** the exact text to send; signed as is */
  body: string
}

export interface DeliveryOutcome {
  delivered: boolean
  /** the answer's status, null when none arrived */
  statusCode: number | null
  /** null when delivered */
  failure: WebhookFailure | null
  /** kept in the log table for operators; not answered by the API (a timing oracle) */
  durationMs: number
}

/**
 * Delivers one event: POST the stored body with its signature, the event id and type as
 * headers (receivers deduplicate on the id). Delivered means a 2xx answer; anything else is a
 * failure of one class (`http_status` when an answer arrived).
 */
export async function deliverWebhookEvent(
  transport: WebhookTransport,
  event: WebhookEvent,
  now: () => number = performance.now.bind(performance),
): Promise<DeliveryOutcome> {
  const started = now()
  const response = await transport.post({
    url: event.url,
    body: event.body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'aanwas-webhooks/1',
      'x-aanwas-event-id': event.event_id,
      'x-aanwas-event-type': event.event_type,
      'x-aanwas-signature': signatureOf(event.secret, event.body),
    },
  })
  const delivered =
    response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300
  return {
    delivered,
    statusCode: response.statusCode,
    failure: delivered
      ? null
      : (response.failure ?? (response.statusCode === null ? 'connection_failed' : 'http_status')),
    durationMs: Math.round(now() - started),
  }
}
