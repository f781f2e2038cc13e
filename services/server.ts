import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'
import app from './app.js'
import type { AanwasConfig } from './config.js'

export interface BuildOptions {
  overrides?: Partial<AanwasConfig>
  logger?: FastifyServerOptions['logger']
}

/**
 * Builds the Fastify instance around the app factory (logger, timeouts, AJV that coerces query
 * strings but never bodies), ready but not listening. Used by `aanwas serve`, the CLI and tests.
 */
export async function buildServer(options: BuildOptions = {}): Promise<FastifyInstance> {
  const logLevel = options.overrides?.logLevel ?? process.env.LOG_LEVEL ?? 'info'
  const fastify = Fastify({
    logger:
      options.logger ??
      (process.stdout.isTTY
        ? { level: logLevel, transport: { target: 'pino-pretty' } }
        : { level: logLevel, redact: ['req.headers.authorization'] }),
    requestTimeout: 15 * 60_000,
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    // Opening a fresh embedded database (initdb and migrations) takes 5-15 s on a busy 2-core
    // machine, above Fastify's default 10 s for a plugin.
    pluginTimeout: 120_000,
    // Router-level failures (a malformed URL, a path parameter over the length limit) never reach
    // the error handler: give them the same error shape.
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400
      const raw = reply as unknown as {
        code(status: number): { send(body: unknown): unknown }
      }
      raw.code(status).send({ error: { code: 'bad_request', message: error.message } })
    },
    ajv: {
      customOptions: {
        coerceTypes: true,
        removeAdditional: false,
        useDefaults: true,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(fp(app), { overrides: options.overrides })
  await fastify.ready()
  return fastify
}

/** Starts listening and closes gracefully on SIGTERM / SIGINT. */
export async function startServer(fastify: FastifyInstance): Promise<string> {
  const { port, host } = fastify.config
  const address = await fastify.listen({ port, host })
  let closing = false
  const close = (signal: string) => {
    if (closing) return
    closing = true
    fastify.log.info({ signal }, 'shutting down')
    fastify.close().then(
      () => process.exit(0),
      (error) => {
        fastify.log.error({ err: error }, 'error while shutting down')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => close('SIGTERM'))
  process.once('SIGINT', () => close('SIGINT'))
  return address
}
