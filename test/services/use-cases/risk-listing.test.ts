import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Static } from '@fastify/type-provider-typebox'
import { buildTestApp, engines } from '../../helper.js'
import { riskPanel } from '../../support/risk-fixtures.js'
import { executeRiskRun } from '../../../services/use-cases/run-risk-model.js'
import { uploadSnapshots } from '../../../services/use-cases/upload-snapshots.js'
import {
  createRiskListing,
  type RiskListingQuery,
} from '../../../services/use-cases/risk-listing.js'
import type { ModelRunRow, RiskRepository } from '../../../services/repositories/risk-repository.js'
import type { RiskListSchema } from '../../../services/schemas/risk.js'

/**
 * use-cases/risk-listing.ts: which run answers GET /v1/risk (asked by id, else the published
 * one of the horizon), the predictor quarter, the table as the audience may see it, and pages
 * kept as JSON bytes per (run, quarter, municipality, audience, offset, limit).
 */

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app } = await buildTestApp(t, engine, { autoRecompute: false })
    await uploadSnapshots(
      {
        knex: app.knex,
        snapshotsRepository: app.snapshotsRepository,
        areasRepository: app.areasRepository,
        dataEvents: app.dataEvents,
        limits: { bodyLimitBytes: 1 << 30, maxRows: 100_000 },
      },
      { format: 'json', body: riskPanel({ neighbourhoodsPerDistrict: 6, years: 2 }) },
      { keyId: null },
    )
    const published = await finishedRun(app, { publish: true })
    const preview = await finishedRun(app, { publish: false })

    /** The listing over a repository that counts its score reads. */
    const counted = () => {
      const reads = { scores: 0 }
      const riskRepository: RiskRepository = {
        ...app.riskRepository,
        scoresAt: (...args) => {
          reads.scores += 1
          return app.riskRepository.scoresAt(...args)
        },
      }
      const listing = createRiskListing({
        riskRepository,
        snapshotsRepository: app.snapshotsRepository,
        publishedRun: async (horizon) => (horizon === 0 ? published : undefined),
        thresholds: app.config,
      })
      return { listing, reads }
    }
    const query = (overrides: Partial<RiskListingQuery> = {}): RiskListingQuery => ({
      viewer: false,
      offset: 0,
      limit: 10,
      ...overrides,
    })
    const parse = (body: Buffer) =>
      JSON.parse(body.toString('utf8')) as Static<typeof RiskListSchema>

    t.test('which run answers', async (t) => {
      t.test('when no run is asked, then the published run of the horizon answers', async (t) => {
        const { listing } = counted()
        const body = parse((await listing(query())).body)
        t.equal(body.run_id, published.id)
        t.equal(body.period, '2022Q4', "the run's latest scored quarter")
        t.equal(body.total, 24)
      })

      t.test('when a preview run is asked by id, then it answers', async (t) => {
        const { listing } = counted()
        t.equal(parse((await listing(query({ runId: preview.id }))).body).run_id, preview.id)
      })

      t.test('when the horizon has no published run, then 404 no_model_run', async (t) => {
        const { listing } = counted()
        await t.rejects(listing(query({ horizon: 4 })), { statusCode: 404, code: 'no_model_run' })
      })

      t.test('when an unknown run or another horizon is asked, then 404 and 400', async (t) => {
        const { listing } = counted()
        await t.rejects(listing(query({ runId: randomUUID() })), {
          statusCode: 404,
          message: /no succeeded model run/,
        })
        await t.rejects(listing(query({ runId: published.id, horizon: 1 })), {
          statusCode: 400,
          message: new RegExp(`run ${published.id} has horizon_quarters 0, not 1`),
        })
      })
    })

    t.test('the table and its pages', async (t) => {
      t.test(
        'when pages of one table are asked, then they are slices of it, by risk descending',
        async (t) => {
          const { listing } = counted()
          const first = parse((await listing(query({ limit: 20 }))).body)
          const second = parse((await listing(query({ offset: 20, limit: 20 }))).body)
          t.equal(first.items.length, 20)
          t.equal(second.items.length, 4)
          const risks = [...first.items, ...second.items].map((item) => item.risk!)
          t.same(
            risks,
            [...risks].sort((a, b) => b - a),
          )
          t.same(new Set([...first.items, ...second.items].map((item) => item.area_code)).size, 24)
        },
      )

      t.test(
        'when a municipality is the scope, then only its neighbourhoods are listed',
        async (t) => {
          const { listing } = counted()
          const body = parse((await listing(query({ municipality: 'GM0599', limit: 100 }))).body)
          t.equal(body.total, 12)
          t.ok(body.items.every((item) => item.area_code.startsWith('BU0599')))
        },
      )

      t.test(
        'when the same page is asked again, then the kept bytes answer without a read',
        async (t) => {
          const { listing, reads } = counted()
          const first = await listing(query())
          const again = await listing(query())
          t.equal(again, first, 'the same kept page')
          t.equal(reads.scores, 1)
          await listing(query({ offset: 10 }))
          t.equal(reads.scores, 1, 'another page of a kept table reads nothing')
          await listing(query({ viewer: true }))
          t.equal(reads.scores, 2, "a viewer's table is its own")
        },
      )

      t.test(
        "when a viewer asks, then the figures are the rounded table's, never the exact ones",
        async (t) => {
          const { listing } = counted()
          const exact = parse((await listing(query({ limit: 100 }))).body)
          const viewer = parse((await listing(query({ viewer: true, limit: 100 }))).body)
          t.equal(viewer.total, exact.total)
          const exactRisk = new Map(exact.items.map((item) => [item.area_code, item.risk]))
          const differs = viewer.items.filter(
            (item) => item.risk !== null && item.risk !== exactRisk.get(item.area_code),
          )
          t.ok(differs.length > 0, `${differs.length} of ${viewer.total} risks differ from exact`)
          t.ok(
            viewer.items.every(
              (item) => item.observed === null || item.observed % app.config.roundTo === 0,
            ),
            'every shown outcome is rounded to 5',
          )
        },
      )
    })
  })
}

/** A run fitted on the stored panel now; published when asked. */
async function finishedRun(
  app: FastifyInstance,
  options: { publish: boolean },
): Promise<ModelRunRow> {
  const id = randomUUID()
  await app.riskRepository.insertQueued({
    horizon_quarters: 0,
    from_period: null,
    to_period: null,
    id,
    requested_by: null,
    publish_on_success: options.publish,
  })
  const claimed = await app.riskRepository.claimNext('test')
  if (claimed?.id !== id) throw new Error('the queued run was not claimed')
  await executeRiskRun(
    {
      knex: app.knex,
      riskRepository: app.riskRepository,
      snapshotsRepository: app.snapshotsRepository,
      tf: app.tf,
    },
    claimed,
  )
  const run = await app.riskRepository.find(id)
  if (run?.status !== 'succeeded') throw new Error(`the run did not succeed: ${run?.status}`)
  return run
}
