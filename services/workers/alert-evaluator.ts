import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { evaluateAlerts, type EvaluationSummary } from '../use-cases/evaluate-alerts.js'
import { serialWorker } from './serial-worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    alertEvaluator: {
      /**
       * Asks for an evaluation soon (after an upload that changed data, a model run, a rule
       * change). Requests arriving while one runs are merged into one more run after it.
       */
      schedule(reason: string): void
      /** Evaluates now (waiting for a running evaluation first) and answers its summary. */
      evaluateNow(): Promise<EvaluationSummary>
      /** Resolves when no evaluation is running or scheduled on this instance. */
      idle(): Promise<void>
    }
  }
}

/**
 * Triggers alert evaluation (services/jobs/evaluate-alerts.ts) after every upload that changed
 * data and every succeeded model run, one evaluation at a time in this process (the job's
 * advisory lock serialises instances). After an evaluation that wrote events, the outbox worker
 * is woken.
 */
export default fp(
  async function alertEvaluator(fastify: FastifyInstance) {
    const dependencies = {
      knex: fastify.knex,
      engine: fastify.dbEngine,
      alertsRepository: fastify.alertsRepository,
      webhooksRepository: fastify.webhooksRepository,
      snapshotsRepository: fastify.snapshotsRepository,
    }
    let running: Promise<EvaluationSummary> | undefined

    async function runOnce(): Promise<EvaluationSummary> {
      const summary = await evaluateAlerts(dependencies)
      fastify.log.info({ alerts: summary }, 'alerts evaluated')
      if (summary.events > 0) fastify.outboxWorker.kick()
      return summary
    }

    // one evaluation at a time here; evaluateNow joins the same queue
    const worker = serialWorker(
      () => (running = runOnce()),
      (error) => fastify.log.error({ err: error }, 'alert evaluation failed'),
    )
    const kick = worker.kick

    fastify.decorate('alertEvaluator', {
      schedule(reason: string) {
        fastify.log.debug({ reason }, 'alert evaluation scheduled')
        kick()
      },
      async evaluateNow() {
        // after what is running or pending, one more run of its own, whose summary it answers
        await worker.idle()
        worker.kick()
        const summary = running!
        await worker.idle()
        return summary
      },
      idle: worker.idle,
    })

    if (fastify.hasDecorator('metrics'))
      fastify.metrics.setFiringSource(() => fastify.alertsRepository.openCounts())

    fastify.modelRunner.onRunFinished((run) => {
      if (run.status === 'succeeded') kick()
    })
    // every upload that changed data, through the API or the CLI
    fastify.dataEvents.on('snapshots-changed', () => kick())

    fastify.addHook('onClose', () => worker.close())
  },
  {
    name: 'alert-evaluator',
    dependencies: [
      'db',
      'alerts-repository',
      'webhooks-repository',
      'snapshots-repository',
      'model-runner',
      'outbox-worker',
      'data-events',
    ],
  },
)
