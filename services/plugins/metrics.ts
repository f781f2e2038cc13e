import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

type FiringSource = () => Promise<Array<{ kind: string; municipality_code: string; count: number }>>

export interface AanwasMetrics {
  registry: Registry
  httpDuration: Histogram<'method' | 'route' | 'status_code'>
  uploads: Counter<'outcome'>
  uploadRows: Counter<'result'>
  modelRuns: Counter<'status'>
  modelRunDuration: Histogram<'status'>
  modelFitDuration: Histogram
  alertsFiring: Gauge<'kind' | 'municipality'>
  /** Where the firing-alerts gauge reads its numbers at scrape time (the alerts plugin). */
  setFiringSource(source: FiringSource): void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: AanwasMetrics
  }
  interface FastifyRequest {
    metricsStartedAt: bigint
  }
}

/**
 * Prometheus metrics (DESIGN.md §3 GET /metrics) with prom-client, one registry per app instance
 * (tests build several in one process): default process metrics; HTTP request duration by
 * method, route PATTERN (`/v1/areas/:code/snapshots`, never the URL, and `unmatched` for 404s)
 * and status, from onRequest/onResponse hooks; uploads and their rows, counted from the upload
 * route's answer; model runs by status with their duration and fit time, from the model
 * runner's end-of-run hook; open alerts by kind and municipality, read from the database at
 * scrape time so every instance reports the same. Every label set is bounded (at most ~350
 * municipalities × 4 kinds; never one series per neighbourhood). `GET /metrics` needs no key.
 */
export default fp(
  async function metrics(fastify: FastifyInstance) {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry, prefix: 'aanwas_' })
    let firingSource: FiringSource | undefined

    const httpDuration = new Histogram({
      name: 'aanwas_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    })
    const uploads = new Counter({
      name: 'aanwas_snapshot_uploads_total',
      help: 'Snapshot uploads by outcome (accepted, rejected)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    })
    const uploadRows = new Counter({
      name: 'aanwas_snapshot_rows_total',
      help: 'Rows of accepted uploads by result (inserted, revised, unchanged)',
      labelNames: ['result'] as const,
      registers: [registry],
    })
    const modelRuns = new Counter({
      name: 'aanwas_model_runs_total',
      help: 'Risk-model runs executed by this instance, by final status',
      labelNames: ['status'] as const,
      registers: [registry],
    })
    const modelRunDuration = new Histogram({
      name: 'aanwas_model_run_duration_seconds',
      help: 'Risk-model run duration from start to end (read, fit, write), by final status',
      labelNames: ['status'] as const,
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    })
    const modelFitDuration = new Histogram({
      name: 'aanwas_model_fit_duration_seconds',
      help: 'Risk-model fit time of succeeded runs',
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    })
    const alertsFiring = new Gauge({
      name: 'aanwas_alerts_firing',
      help: 'Open alerts (firing or acknowledged) by rule kind and municipality',
      labelNames: ['kind', 'municipality'] as const,
      registers: [registry],
      async collect() {
        if (!firingSource) return
        const counts = await firingSource()
        this.reset()
        for (const row of counts) {
          this.set({ kind: row.kind, municipality: row.municipality_code }, row.count)
        }
      },
    })

    fastify.decorate('metrics', {
      registry,
      httpDuration,
      uploads,
      uploadRows,
      modelRuns,
      modelRunDuration,
      modelFitDuration,
      alertsFiring,
      setFiringSource(source: FiringSource) {
        firingSource = source
      },
    })

    fastify.decorateRequest('metricsStartedAt', 0n)
    // Callback-style hooks: an async hook costs a promise and a microtask on every request,
    // a measurable share of a cached read.
    fastify.addHook('onRequest', (request, _reply, done) => {
      request.metricsStartedAt = process.hrtime.bigint()
      done()
    })
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (request.method === 'POST' && request.routeOptions.url === '/v1/snapshots') {
        countUpload(reply.statusCode, payload)
      }
      done(null, payload)
    })
    /** Counts an upload, and its rows by result, from the upload route's answer. */
    const countUpload = (statusCode: number, payload: unknown) => {
      if (statusCode === 201 && typeof payload === 'string') {
        uploads.inc({ outcome: 'accepted' })
        try {
          const summary = JSON.parse(payload) as Record<string, unknown>
          for (const result of ['inserted', 'revised', 'unchanged'] as const) {
            const rows = summary[result]
            if (typeof rows === 'number' && rows > 0) uploadRows.inc({ result }, rows)
          }
        } catch {
          // not a summary: counted as an upload only
        }
      } else if (statusCode === 422 || statusCode === 403) {
        uploads.inc({ outcome: 'rejected' })
      }
    }
    // One child per label set, looked up by a plain key: prom-client hashes a label object on
    // every observe, a measurable share of a cached read. The sets are bounded (route patterns).
    const httpDurationByLabels = new Map<string, ReturnType<typeof httpDuration.labels>>()
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched')
      const seconds = Number(process.hrtime.bigint() - request.metricsStartedAt) / 1e9
      const labelsKey = `${request.method} ${reply.statusCode} ${route}`
      let child = httpDurationByLabels.get(labelsKey)
      if (!child) {
        child = httpDuration.labels({
          method: request.method,
          route,
          status_code: String(reply.statusCode),
        })
        httpDurationByLabels.set(labelsKey, child)
      }
      child.observe(seconds)
      done()
    })

    // The model runner is registered later (an app plugin); hook into it once all are loaded.
    fastify.addHook('onReady', async () => {
      if (!fastify.hasDecorator('modelRunner')) return
      fastify.modelRunner.onRunFinished((run) => {
        modelRuns.inc({ status: run.status })
        if (run.started_at && run.finished_at) {
          const seconds =
            (new Date(run.finished_at).getTime() - new Date(run.started_at).getTime()) / 1000
          modelRunDuration.observe({ status: run.status }, Math.max(0, seconds))
        }
        if (run.status === 'succeeded' && run.fit_ms !== null)
          modelFitDuration.observe(run.fit_ms / 1000)
      })
    })

    fastify.get(
      '/metrics',
      {
        config: { public: true },
        schema: { tags: ['health'], summary: 'Prometheus metrics (text format)', security: [] },
      },
      async (_request, reply) => {
        const text = await registry.metrics()
        return reply.type(registry.contentType).send(text)
      },
    )
  },
  { name: 'metrics', dependencies: ['config'] },
)
