import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, forbidden, unauthorized } from '../errors.js'
import type { ApiKeyRow, Role } from '../repositories/keys-repository.js'

/** Who is calling: the verified key's id, role and municipality scope (null for admins). */
export interface Caller {
  keyId: string
  role: Role
  municipality: string | null
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin key generated at this start (no AANWAS_ADMIN_KEY, no admin yet), shown once. */
    generatedAdminKey: string | undefined
    /** HMAC-SHA256 of an API key secret with the server secret. */
    hashApiKey(secret: string): string
    /** A new random API key secret (256 bits). */
    newApiKeySecret(): string
    /** Forgets cached verifications (after a revocation on this instance). */
    forgetVerifiedKeys(): void
    requireRole(...roles: Role[]): (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    caller: Caller | null
  }
  interface FastifyContextConfig {
    /** Routes that need no key: health, metrics, the dashboard's files. */
    public?: boolean
  }
}

/** How long a verified key is trusted before it is looked up again (DESIGN.md §5: at most 5 s). */
const verifiedKeyTtlMs = 4000

/**
 * Whether a request needs a verified key: every matched route but those marked `public` in their
 * config (health, metrics, the OpenAPI document, the dashboard's files). A request that matched
 * no route gets the 404 handler's answer and no data.
 */
export function needsKey(request: FastifyRequest): boolean {
  return !request.is404 && request.routeOptions.config?.public !== true
}

/**
 * Whether the caller may see exact (undisclosed) values: analyst and admin keys only (DESIGN.md
 * §5). Every other caller, including none at all, gets the viewer's disclosure-controlled view:
 * the decision is never "not a viewer".
 */
export function seesExactValues(caller: Caller | null | undefined): boolean {
  return caller?.role === 'analyst' || caller?.role === 'admin'
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match ? match[1] : undefined
}

/**
 * API key authentication: `Authorization: Bearer <key>` on every route but the public ones.
 * Keys are stored as HMAC-SHA256 with the server secret and compared in constant time.
 */
export default fp(
  async function auth(fastify: FastifyInstance) {
    const { keysRepository, config } = fastify
    const serverSecret =
      config.keySecret ??
      (await keysRepository.initSetting('key_secret', randomBytes(32).toString('hex')))

    const hashApiKey = (secret: string) =>
      createHmac('sha256', serverSecret).update(secret).digest('hex')
    fastify.decorate('hashApiKey', hashApiKey)
    fastify.decorate('newApiKeySecret', () => `aw_${randomBytes(32).toString('base64url')}`)

    // Bootstrap: AANWAS_ADMIN_KEY is an admin key with exactly that secret; without it the
    // first start (no admin key at all) generates one and the server prints it once.
    let generatedAdminKey: string | undefined
    if (config.adminKey) {
      const hash = hashApiKey(config.adminKey)
      if (!(await keysRepository.findActiveByHash(hash))) {
        await keysRepository.insert({
          id: randomUUID(),
          key_hash: hash,
          role: 'admin',
          municipality: null,
          label: 'AANWAS_ADMIN_KEY',
          bootstrap: true,
        })
      }
      await keysRepository.revokeOtherBootstrapKeys(hash)
    } else if ((await keysRepository.countActiveAdmins()) === 0) {
      generatedAdminKey = fastify.newApiKeySecret()
      await keysRepository.insert({
        id: randomUUID(),
        key_hash: hashApiKey(generatedAdminKey),
        role: 'admin',
        municipality: null,
        label: 'generated at first start',
      })
    }
    fastify.decorate('generatedAdminKey', generatedAdminKey)

    // Keys verified in the last few seconds, by the presented secret: a hit costs one Map lookup
    // instead of an HMAC (5% of a cached read, profiled). A Map lookup reveals nothing usable
    // about other secrets (256 random bits each; the rate limiter holds the same strings), and
    // every miss goes through the hash lookup and the constant-time comparison below.
    const verified = new Map<string, { key: ApiKeyRow; until: number }>()
    fastify.decorate('forgetVerifiedKeys', () => verified.clear())

    /** A key verified within the last few seconds, without a database round trip. */
    function recentlyVerified(secret: string): ApiKeyRow | undefined {
      const cached = verified.get(secret)
      const now = Date.now()
      if (!cached || cached.until <= now) return undefined
      // an expiry inside the cache window takes effect at once
      if (cached.key.expires_at && new Date(cached.key.expires_at).getTime() <= now) {
        verified.delete(secret)
        return undefined
      }
      return cached.key
    }

    async function lookUp(secret: string): Promise<ApiKeyRow | undefined> {
      const hash = hashApiKey(secret)
      const key = await keysRepository.findActiveByHash(hash)
      // The lookup is by hash; compare once more in constant time so no timing depends on where
      // two hashes first differ.
      if (!key || !timingSafeEqual(Buffer.from(key.key_hash, 'hex'), Buffer.from(hash, 'hex'))) {
        verified.delete(secret)
        return undefined
      }
      if (verified.size > 10_000) verified.clear()
      verified.set(secret, { key, until: Date.now() + verifiedKeyTtlMs })
      return key
    }

    const admit = (request: FastifyRequest, key: ApiKeyRow) => {
      request.caller = { keyId: key.id, role: key.role, municipality: key.municipality }
    }

    // Requests refused with 401 never reach the route's limiter (a route-level hook after this
    // one), so failed authentications have a budget of their own per client address: past it
    // they get 429 (issue 14, finding 8).
    const failedAuthentications = fastify.createRateLimit({ max: config.rateLimit })
    const refuse = (request: FastifyRequest, message: string, done: (error?: Error) => void) => {
      failedAuthentications(request).then((limit) => {
        if (!limit.isAllowed && limit.isExceeded) done(tooManyFailures(limit.ttlInSeconds))
        else done(unauthorized(message))
      }, done)
    }
    const tooManyFailures = (retryInSeconds: number) =>
      new AppError(
        429,
        'rate_limited',
        `too many requests without a valid API key from this address: at most ${config.rateLimit} per minute; retry in ${Math.max(1, retryInSeconds)} s`,
      )

    fastify.decorateRequest('caller', null)
    // Deny by default (issue 14): whether a request needs a key is decided on the route the
    // router matched, never on the URL string (the router decodes `%76` to `v`; a string test
    // on `/v1` was fooled by it). Every route needs a key unless its config says `public`.
    // Callback style: a recently verified key (nearly every request) costs no promise; only a
    // cache miss goes to the database.
    fastify.addHook('onRequest', (request, _reply, done) => {
      if (!needsKey(request)) return done()
      const secret = bearerToken(request.headers.authorization)
      if (!secret)
        return refuse(request, 'an API key is required: send Authorization: Bearer <key>', done)
      const cached = recentlyVerified(secret)
      if (cached) {
        admit(request, cached)
        return done()
      }
      // A valid key is admitted even from an address that is over its failure budget (a
      // colleague's misconfigured script behind the same NAT must not lock everyone out).
      lookUp(secret).then((key) => {
        if (!key) return refuse(request, 'the API key is unknown, revoked or expired', done)
        admit(request, key)
        done()
      }, done)
    })

    // A second, independent check right before every handler: a keyed route never runs without
    // a verified caller, whatever a hook before it did or skipped.
    fastify.addHook('preHandler', (request, _reply, done) => {
      if (needsKey(request) && !request.caller) {
        return done(unauthorized('an API key is required: send Authorization: Bearer <key>'))
      }
      done()
    })

    // What a key may read is for that key alone: no shared cache (a proxy, a CDN) may keep it,
    // and the browser must ask again before reusing it (a revoked key, a new upload).
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (needsKey(request) && !reply.hasHeader('cache-control')) {
        reply.header('cache-control', 'private, no-cache')
      }
      done(null, payload)
    })

    fastify.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest) => {
      if (!request.caller) throw unauthorized('an API key is required')
      if (!roles.includes(request.caller.role)) {
        throw forbidden(
          `this needs a key with role ${roles.join(' or ')}; this key is ${request.caller.role}`,
        )
      }
    })
  },
  { name: 'auth', dependencies: ['config', 'keys-repository', 'rate-limit'] },
)
