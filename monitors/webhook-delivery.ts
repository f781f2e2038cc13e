import { createHmac } from 'node:crypto'

/**
 * Webhook delivery (DESIGN.md §3 POST /v1/webhooks): the signature, the retry schedule and one
 * POST behind a transport interface, so the outbox worker in services/ decides what to send and
 * tests or other transports decide how. No database and no clock here.
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

export interface WebhookResponse {
  /** HTTP status, or null when no answer arrived (refused, timeout, DNS) */
  statusCode: number | null
  error: string | null
}

/** Sends one POST; never throws (a failure is a response with an error). */
export interface WebhookTransport {
  post(request: WebhookRequest): Promise<WebhookResponse>
}

/** HTTP(S) POST with Node's fetch and a timeout; redirects are not followed. */
export const httpTransport: WebhookTransport = {
  async post(request) {
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(deliveryTimeoutMs),
      })
      // Drain the body so the connection is released.
      await response.arrayBuffer().catch(() => undefined)
      return {
        statusCode: response.status,
        error: response.ok ? null : `HTTP ${response.status}`,
      }
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause
      return {
        statusCode: null,
        error: cause?.code ?? (error instanceof Error ? error.message : String(error)),
      }
    }
  },
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
  statusCode: number | null
  error: string | null
  durationMs: number
}

/**
 * Delivers one event: POST the stored body with its signature, the event id and type as
 * headers (receivers deduplicate on the id). Delivered means a 2xx answer.
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
    error: delivered ? null : (response.error ?? `HTTP ${response.statusCode}`),
    durationMs: Math.round(now() - started),
  }
}
