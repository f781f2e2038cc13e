import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { ModelRunRow } from '../repositories/risk-repository.js'

/** How long this instance trusts what it read; other instances' changes show within this. */
const refreshMs = 1000

declare module 'fastify' {
  interface FastifyInstance {
    currentData: {
      /** The snapshots' data version (changes with every upload that changes a snapshot). */
      dataVersion(): Promise<string>
      /** The published run of a horizon (what GET /v1/risk serves), or undefined. */
      publishedRun(horizon: number): Promise<ModelRunRow | undefined>
    }
  }
}

/**
 * What the answers derived from the data depend on, read at most once a second (issue 15: a
 * busy trend or risk page asked the database for both on every request). A change on this
 * instance — an upload (`snapshots-changed`), a run that ends, a run published — shows at once;
 * one on another instance within a second, as a revoked key does (DESIGN.md §5). Answers cached
 * under these keys are therefore never served after their data changed here, and at most a
 * second after it changed elsewhere.
 */
export default fp(
  async function currentData(fastify: FastifyInstance) {
    const { snapshotsRepository, riskRepository, modelRunner, dataEvents } = fastify
    let version: { value: Promise<string>; until: number } | undefined
    const runs = new Map<number, { value: Promise<ModelRunRow | undefined>; until: number }>()

    fastify.decorate('currentData', {
      dataVersion() {
        if (!version || version.until <= Date.now()) {
          const value = snapshotsRepository.dataVersion()
          version = { value, until: Date.now() + refreshMs }
          value.catch(() => (version = undefined))
        }
        return version.value
      },
      publishedRun(horizon: number) {
        const cached = runs.get(horizon)
        if (cached && cached.until > Date.now()) return cached.value
        const value = riskRepository.latestPublished(horizon)
        runs.set(horizon, { value, until: Date.now() + refreshMs })
        // "no run yet" and failures are not remembered: the first run must show at once
        value.then(
          (run) => run || runs.delete(horizon),
          () => runs.delete(horizon),
        )
        return value
      },
    })
    dataEvents.on('snapshots-changed', () => {
      version = undefined
    })
    dataEvents.on('area-links-changed', () => {
      version = undefined
    })
    dataEvents.on('run-published', () => runs.clear())
    modelRunner.onRunFinished(() => runs.clear())
  },
  {
    name: 'current-data',
    dependencies: ['snapshots-repository', 'risk-repository', 'model-runner', 'data-events'],
  },
)
