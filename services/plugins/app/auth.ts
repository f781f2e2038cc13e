import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { forbidden, unauthorized } from '../../errors.js'
import type { ApiKeyRow, Role } from './keys/keys-repository.js'

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
      return cached && cached.until > Date.now() ? cached.key : undefined
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

    fastify.decorateRequest('caller', null)
    // Callback style: a recently verified key (nearly every request) costs no promise; only a
    // cache miss goes to the database.
    fastify.addHook('onRequest', (request, _reply, done) => {
      if (request.is404 || request.routeOptions.config?.public || !request.url.startsWith('/v1'))
        return done()
      const secret = bearerToken(request.headers.authorization)
      if (!secret)
        return done(unauthorized('an API key is required: send Authorization: Bearer <key>'))
      const cached = recentlyVerified(secret)
      if (cached) {
        admit(request, cached)
        return done()
      }
      lookUp(secret).then((key) => {
        if (!key) return done(unauthorized('the API key is unknown or revoked'))
        admit(request, key)
        done()
      }, done)
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
  { name: 'auth', dependencies: ['config', 'keys-repository'] },
)
