import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, createKey, engines } from '../../helper.js'
import { publishRun } from '../../../services/use-cases/publish-run.js'
import type { DataEventMap } from '../../../services/use-cases/data-events.js'

/**
 * use-cases/publish-run.ts: an admin publishes a succeeded run (404 for an unknown one, 409 for
 * one that has not succeeded); from then on it is what `GET /v1/risk` serves for its horizon, and
 * `run-published` says so.
 */

/** A run in the given state, written through the repository as the model runner does. */
async function runIn(
  app: FastifyInstance,
  status: 'queued' | 'running' | 'succeeded' | 'failed',
  horizon = 0,
): Promise<string> {
  const id = randomUUID()
  await app.riskRepository.insertQueued({
    id,
    horizon_quarters: horizon,
    from_period: null,
    to_period: null,
    requested_by: null,
    publish_on_success: false,
  })
  if (status === 'queued') return id
  await app.riskRepository.claimNext('test')
  if (status === 'succeeded') {
    await app.riskRepository.succeed(id, { coefficients: [], quality: null, covariance: null })
  }
  if (status === 'failed') {
    await app.riskRepository.fail(id, { code: 'internal_error', message: 'failed' })
  }
  return id
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    const published: DataEventMap['run-published'][0][] = []
    app.dataEvents.on('run-published', (payload) => {
      published.push(payload)
    })
    t.beforeEach(async () => {
      await reset()
      published.length = 0
    })
    const dependencies = { riskRepository: app.riskRepository, dataEvents: app.dataEvents }

    t.test('publishRun', async (t) => {
      t.test(
        'when a succeeded preview is published, then it is served for its horizon, by whom is noted, and run-published is emitted',
        async (t) => {
          const key = await createKey(app, admin, 'admin')
          const id = await runIn(app, 'succeeded', 2)
          t.equal(await app.riskRepository.latestPublished(2), undefined)
          const run = await publishRun(dependencies, id, key.id)
          t.match(run, { id, status: 'succeeded', published: true, published_by: key.id })
          t.ok(run.published_at instanceof Date)
          t.equal((await app.riskRepository.latestPublished(2))?.id, id)
          t.same(published, [{ runId: id, horizon: 2 }])
        },
      )

      t.test(
        'when an older run is published again, then it is served again (the last published wins)',
        async (t) => {
          const older = await runIn(app, 'succeeded')
          const newer = await runIn(app, 'succeeded')
          await publishRun(dependencies, older, null)
          await publishRun(dependencies, newer, null)
          t.equal((await app.riskRepository.latestPublished(0))?.id, newer)
          await publishRun(dependencies, older, null)
          t.equal((await app.riskRepository.latestPublished(0))?.id, older)
          t.equal(published.length, 3)
        },
      )

      t.test('when the run does not exist, then 404 and nothing is emitted', async (t) => {
        const id = randomUUID()
        await t.rejects(publishRun(dependencies, id, null), {
          statusCode: 404,
          code: 'not_found',
          message: `no model run ${id}`,
        })
        t.same(published, [])
      })

      for (const status of ['queued', 'running', 'failed'] as const) {
        t.test(
          `when the run is ${status}, then 409 conflict, it stays unpublished and nothing is emitted`,
          async (t) => {
            const id = await runIn(app, status)
            await t.rejects(publishRun(dependencies, id, null), {
              statusCode: 409,
              code: 'conflict',
              message: new RegExp(`is ${status}: only a succeeded run can be published`),
            })
            t.match(await app.riskRepository.find(id), { status, published: false })
            t.same(published, [])
          },
        )
      }
    })
  })
}
