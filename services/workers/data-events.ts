import { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** What happened to the data: the after-effects of a change are the listeners' business. */
export interface DataEventMap {
  /** An upload stored new or revised snapshots (its batch, and who uploaded). */
  'snapshots-changed': [{ batchId: string; keyId: string | null; changed: number }]
}

/** A typed event emitter for the service's data events (one per app instance). */
export interface DataEvents {
  /** Runs every listener; resolves when all have (a failure is logged, not thrown). */
  emit<Name extends keyof DataEventMap>(name: Name, ...payload: DataEventMap[Name]): Promise<void>
  on<Name extends keyof DataEventMap>(
    name: Name,
    listener: (...payload: DataEventMap[Name]) => void | Promise<void>,
  ): void
}

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
