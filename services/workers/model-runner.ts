import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import pg from 'pg'
import { executeRiskRun } from '../use-cases/run-risk-model.js'
import { serialWorker } from './serial-worker.js'
import type { ModelRunRow, RunRequest } from '../repositories/risk-repository.js'

declare module 'fastify' {
  interface FastifyInstance {
    modelRunner: {
      /**
       * Queues a run (or returns the identical queued one) and starts the worker. `publish`:
       * the run is published when it succeeds (an admin's run, an automatic recompute); else it
       * is a preview until an admin publishes it. Asking for a queued preview with `publish`
       * makes it publish.
       */
      queue(
        request: RunRequest,
        requestedBy: string | null,
        options: { publish: boolean },
      ): Promise<{ runId: string; reused: boolean }>
      /** Resolves when this instance has no run in progress and none queued that it can take. */
      idle(): Promise<void>
      /**
       * Calls `listener` with the stored run after each run this instance executed ends
       * (succeeded or failed): alert evaluation and metrics hang off a run's end.
       */
      onRunFinished(listener: (run: ModelRunRow) => void | Promise<void>): void
    }
  }
}

/** One model run at a time across every instance sharing the database. */
const runLockName = 'aanwas.model-run'
const lockRetryMs = 2000

interface RunLock {
  release(): Promise<void>
}

/**
 * The model-run worker. Runs execute one at a time: within the process a single drain loop; across
 * instances on PostgreSQL a session advisory lock held on a dedicated connection for as long as
 * the loop runs (it disappears with the connection if the process dies). The embedded engine
 * belongs to one process, so the in-process loop is enough there. At start, runs left `running`
 * are marked failed when no other instance holds the lock (a crash interrupted them).
 */
export default fp(
  async function modelRunner(fastify: FastifyInstance) {
    const { riskRepository, config } = fastify
    let retry: NodeJS.Timeout | undefined
    const finishedListeners: Array<(run: ModelRunRow) => void | Promise<void>> = []

    async function takeRunLock(): Promise<RunLock | undefined> {
      if (!config.databaseUrl) return { release: async () => undefined }
      const client = new pg.Client({ connectionString: config.databaseUrl })
      client.on('error', () => undefined)
      await client.connect()
      const result = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        runLockName,
      ])
      if (!result.rows[0].locked) {
        await client.end()
        return undefined
      }
      return {
        release: async () => {
          await client
            .query('SELECT pg_advisory_unlock(hashtext($1))', [runLockName])
            .catch(() => undefined)
          await client.end().catch(() => undefined)
        },
      }
    }

    async function drain(): Promise<void> {
      const lock = await takeRunLock()
      if (!lock) {
        // Another instance is running a model; it drains the queue, and we look again later.
        if (!worker.closing) retry = setTimeout(() => worker.kick(), lockRetryMs)
        return
      }
      try {
        while (!worker.closing) {
          const run = await riskRepository.claimNext(fastify.tfBackend.backend)
          if (!run) break
          fastify.log.info({ run: run.id, horizon: run.horizon_quarters }, 'model run started')
          try {
            await executeRiskRun(
              {
                knex: fastify.knex,
                riskRepository,
                snapshotsRepository: fastify.snapshotsRepository,
                tf: fastify.tf,
              },
              run,
            )
          } catch (error) {
            fastify.log.error({ err: error, run: run.id }, 'model run failed')
          }
          const finished = await riskRepository.find(run.id).catch(() => undefined)
          for (const listener of finished ? finishedListeners : []) {
            try {
              await listener(finished!)
            } catch (error) {
              fastify.log.error({ err: error, run: run.id }, 'a model-run listener failed')
            }
          }
        }
      } finally {
        await lock.release()
      }
    }

    const worker = serialWorker(drain, (error) =>
      fastify.log.error({ err: error }, 'model run worker stopped'),
    )
    const kick = worker.kick

    // Crash recovery: only when no other instance is running a model right now.
    const startLock = await takeRunLock()
    if (startLock) {
      try {
        const interrupted = await riskRepository.failInterrupted()
        if (interrupted > 0)
          fastify.log.warn({ interrupted }, 'model runs interrupted by a stop were marked failed')
      } finally {
        await startLock.release()
      }
    }

    const runner: FastifyInstance['modelRunner'] = {
      async queue(request: RunRequest, requestedBy: string | null, options: { publish: boolean }) {
        const existing = await riskRepository.findQueued(request)
        if (existing) {
          if (options.publish && !existing.publish_on_success) {
            await riskRepository.publishOnSuccess(existing.id)
          }
          kick()
          return { runId: existing.id, reused: true }
        }
        const runId = randomUUID()
        await riskRepository.insertQueued({
          ...request,
          id: runId,
          requested_by: requestedBy,
          publish_on_success: options.publish,
        })
        kick()
        return { runId, reused: false }
      },
      idle: worker.idle,
      onRunFinished(listener) {
        finishedListeners.push(listener)
      },
    }
    fastify.decorate('modelRunner', runner)

    // The automatic recompute after every upload that changed data (AANWAS_AUTO_RECOMPUTE), from
    // the API or the CLI; it publishes whoever uploaded.
    fastify.dataEvents.on('snapshots-changed', async ({ keyId }) => {
      if (!config.autoRecompute) return
      await runner.queue({ horizon_quarters: 0, from_period: null, to_period: null }, keyId, {
        publish: true,
      })
    })

    fastify.addHook('onReady', async () => {
      kick()
    })
    fastify.addHook('onClose', async () => {
      clearTimeout(retry)
      await worker.close()
    })
  },
  {
    name: 'model-runner',
    dependencies: ['db', 'risk-repository', 'snapshots-repository', 'tensorflow', 'data-events'],
  },
)
