import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { AppError } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * How many units of the per-minute budget one request of this route uses (default 1): the
     * routes that compute a lot per request (effects, power, municipality-wide trends) cost more.
     */
    rateLimitCost?: number
  }
}

/** Units per request of the expensive routes, declared in their route config. */
export const rateLimitCosts = { trends: 5, effects: 10, power: 20 } as const

/** The budget's window: AANWAS_RATE_LIMIT units per minute (DESIGN.md §4). */
const windowMs = 60_000

/** The bucket a request counts against, and what it costs, joined into one store key. */
const costSeparator = '\u0000cost='

/**
 * Per verified key, or per client address when the request carries no verified key (issue 14,
 * finding 8: keyed on the raw Authorization header, `bearer KEY`, `BEARER KEY` and `Bearer  KEY`
 * each got a full bucket of their own). Authentication (`auth.ts`, an instance-level onRequest
 * hook) has run before the limiter (a route-level hook), so `request.caller` is set here.
 */
function bucketOf(request: FastifyRequest): string {
  const bucket = request.caller ? `key:${request.caller.keyId}` : `address:${request.ip}`
  const cost = request.routeOptions.config?.rateLimitCost ?? 1
  return `${bucket}${costSeparator}${cost}`
}

interface Bucket {
  used: number
  startedAt: number
}

type StoreCallback = (error: Error | null, result: { current: number; ttl: number }) => void

/**
 * A fixed-window store of `@fastify/rate-limit` that counts units instead of requests: the key
 * carries the request's cost (see {@link bucketOf}), and every route of one key draws on the same
 * bucket. Bounded like the plugin's own store: the least recently used buckets are dropped past
 * `capacity`.
 */
class WeightedStore {
  private readonly buckets = new Map<string, Bucket>()
  private readonly capacity = 10_000

  private split(key: string): { bucket: string; cost: number } {
    const at = key.indexOf(costSeparator)
    if (at === -1) return { bucket: key, cost: 1 }
    return { bucket: key.slice(0, at), cost: Number(key.slice(at + costSeparator.length)) || 1 }
  }

  incr(key: string, callback: StoreCallback, timeWindow: number): void {
    const { bucket, cost } = this.split(key)
    const now = Date.now()
    let entry = this.buckets.get(bucket)
    if (!entry || entry.startedAt + timeWindow <= now) entry = { used: 0, startedAt: now }
    entry.used += cost
    // re-insert: Map order is the recency order the eviction below relies on
    this.buckets.delete(bucket)
    this.buckets.set(bucket, entry)
    if (this.buckets.size > this.capacity) {
      this.buckets.delete(this.buckets.keys().next().value as string)
    }
    callback(null, { current: entry.used, ttl: entry.startedAt + timeWindow - now })
  }

  read(key: string, callback: StoreCallback, timeWindow: number): void {
    const { bucket } = this.split(key)
    const now = Date.now()
    const entry = this.buckets.get(bucket)
    if (!entry || entry.startedAt + timeWindow <= now) callback(null, { current: 0, ttl: 0 })
    else callback(null, { current: entry.used, ttl: entry.startedAt + timeWindow - now })
  }

  child(): WeightedStore {
    // a limiter with settings of its own (the 404 handler, failed authentications) keeps a
    // separate budget
    return new WeightedStore()
  }
}

/**
 * Rate limiting (DESIGN.md §4 AANWAS_RATE_LIMIT): a per-minute budget of units per verified key,
 * or per client address without one; an ordinary request costs one unit, the expensive routes
 * their `rateLimitCost`. The 429 states the real window and what the route costs.
 */
export default fp(
  async function rateLimiting(fastify: FastifyInstance) {
    const budget = fastify.config.rateLimit
    await fastify.register(rateLimit, {
      global: true,
      max: budget,
      timeWindow: windowMs,
      keyGenerator: bucketOf,
      store: WeightedStore as never,
      errorResponseBuilder: (request, context) => {
        const cost = request.routeOptions.config?.rateLimitCost ?? 1
        const who = request.caller ? 'this key' : 'this address'
        const seconds = Math.max(1, Math.ceil(context.ttl / 1000))
        return new AppError(
          429,
          'rate_limited',
          `too many requests: ${who} may use ${context.max} units per minute` +
            (cost > 1 ? ` and this route costs ${cost} units per request` : '') +
            `; retry in ${seconds} s`,
        )
      },
    })
  },
  { name: 'rate-limit', dependencies: ['config'] },
)
