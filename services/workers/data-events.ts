import { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { DataEvents } from '../use-cases/data-events.js'

declare module 'fastify' {
  interface FastifyInstance {
    dataEvents: DataEvents
  }
}

/**
 * Data events within one instance (issue 15: the upload route decided an upload's after-effects,
 * so the CLI's import had none). A use case says what happened (`snapshots-changed`); the
 * workers that react subscribe: the alert evaluator evaluates, the model runner queues the
 * automatic recompute, caches keyed by the data let go. A listener's failure is logged, never
 * thrown back at the use case that emitted (its transaction has committed).
 */
export default fp(
  async function dataEvents(fastify: FastifyInstance) {
    const emitter = new EventEmitter()
    fastify.decorate('dataEvents', {
      async emit(name, ...payload) {
        await Promise.all(
          emitter.listeners(name).map((listener) =>
            Promise.resolve()
              .then(() => (listener as (...args: unknown[]) => unknown)(...payload))
              .catch((error) =>
                fastify.log.error({ err: error, event: name }, 'a data-event listener failed'),
              ),
          ),
        )
      },
      on(name, listener) {
        emitter.on(name, listener)
      },
    } satisfies DataEvents)
  },
  { name: 'data-events' },
)
