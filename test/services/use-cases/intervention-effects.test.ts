import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, engines } from '../../helper.js'
import type { SnapshotFixture } from '../../support/snapshot-fixtures.js'
import {
  interventionEffects,
  type EffectsOptions,
} from '../../../services/use-cases/intervention-effects.js'
import { uploadSnapshots } from '../../../services/use-cases/upload-snapshots.js'
import type { DataEvents } from '../../../services/use-cases/data-events.js'
import type {
  InterventionAreaRow,
  InterventionRecord,
} from '../../../services/repositories/interventions-repository.js'
import { withinAbsolute } from '../../support/tolerance.js'
import { roundedRow } from '../../../services/domain/viewer-risk.js'
import type { SnapshotValues } from '../../../models/vocabulary/indicators.js'

/**
 * use-cases/intervention-effects.ts: the effects of an intervention from the cache when the
 * intervention, method, options, audience and data version match; else read the panel, pick the
 * usable treated areas and the never-treated controls with complete data, estimate, disclose for
 * a viewer, store.
 *
 * The panel is noise-free, so the difference-in-differences answer is known by hand: every
 * neighbourhood's rate is level_i + trend_t (parallel paths, population 10,000, suspects
 * 60 + 2i + 3t), and the treated ones lose 30 suspects (−0.003) from 2022Q3 on. The 2×2 and the
 * staggered ATT are then exactly −0.003 (up to floating point).
 */

const periods = Array.from({ length: 12 }, (_, i) => `${2021 + Math.floor(i / 4)}Q${(i % 4) + 1}`)
const start = '2022Q3'
const startIndex = periods.indexOf(start)
const effect = -30
const code = (municipality: string, index: number) =>
  `BU${municipality}01${String(index).padStart(2, '0')}`
const gm0518 = Array.from({ length: 10 }, (_, i) => code('0518', i + 1))
const gm0599 = Array.from({ length: 4 }, (_, i) => code('0599', i + 1))
const treatedCodes = gm0518.slice(0, 3)
/** Treated by another intervention: never a control. */
const otherTreated = gm0518[9]

function panelRows(): SnapshotFixture[] {
  return [...gm0518, ...gm0599].flatMap((area, i) =>
    periods.map((period, t) => ({
      area_code: area,
      area_name: null,
      period,
      youth_population: 10_000,
      early_school_leavers: 500,
      halt_registrations: 300,
      parental_debt: 1000,
      drug_offence_suspects:
        60 + 2 * i + 3 * t + (treatedCodes.includes(area) && t >= startIndex ? effect : 0),
    })),
  )
}

const silentEvents: DataEvents = { emit: async () => undefined, on: () => undefined }
const thresholds = { minCell: 10, roundTo: 5, minBase: 50 }

const did = (overrides: Partial<EffectsOptions> = {}): EffectsOptions => ({
  method: 'did',
  outcome: 'drug_offence_suspects',
  donors: 'all',
  maxDonors: 50,
  ...overrides,
})

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app } = await buildTestApp(t, engine)
    const store = (rows: SnapshotFixture[]) =>
      uploadSnapshots(
        {
          knex: app.knex,
          snapshotsRepository: app.snapshotsRepository,
          areasRepository: app.areasRepository,
          dataEvents: silentEvents,
          limits: { bodyLimitBytes: 1 << 24, maxRows: 100_000 },
        },
        { format: 'json', body: rows },
        { keyId: null },
      )
    await store(panelRows())
    const dependencies = {
      interventionsRepository: app.interventionsRepository,
      snapshotsRepository: app.snapshotsRepository,
    }
    const intervention = await createIntervention(
      app,
      treatedCodes.map((area) => ({ area_code: area, start_period: start, end_period: null })),
    )
    await createIntervention(app, [
      { area_code: otherTreated, start_period: '2022Q1', end_period: null },
    ])

    t.test('interventionEffects (estimate)', async (t) => {
      t.test(
        'when DiD is asked on a noise-free panel, then the overall and every area effect are the planted −0.003',
        async (t) => {
          const { effects, fromCache } = await interventionEffects(
            dependencies,
            intervention,
            did(),
          )
          t.equal(fromCache, false)
          t.match(effects, {
            intervention_id: intervention.id,
            method: 'did',
            outcome: 'drug_offence_suspects',
            n_treated: 3,
            n_pre_periods: startIndex,
            period_from: '2021Q1',
            period_to: '2023Q4',
            data_version: await app.snapshotsRepository.dataVersion(),
          })
          // 6 never-treated of GM0518 (otherTreated excluded) and 4 of GM0599
          t.equal(effects.n_donors, 10)
          t.ok(withinAbsolute(effects.overall.att!, -0.003, 1e-12), `att ${effects.overall.att}`)
          t.same(
            effects.by_area.map((entry) => [entry.area_code, entry.start_period]),
            treatedCodes.map((area) => [area, start]),
          )
          for (const entry of effects.by_area) t.ok(withinAbsolute(entry.att!, -0.003, 1e-12))
          const after = effects.event_study.filter((entry) => entry.event_time >= 0)
          t.ok(after.length > 0 && after.every((e) => withinAbsolute(e.att!, -0.003, 1e-12)))
        },
      )

      t.test(
        'when donors are limited to the municipality, then only its never-treated neighbourhoods are controls',
        async (t) => {
          const { effects } = await interventionEffects(
            dependencies,
            intervention,
            did({ donors: 'municipality' }),
          )
          t.equal(effects.n_donors, 6)
          t.ok(withinAbsolute(effects.overall.att!, -0.003, 1e-12))
        },
      )

      t.test(
        'when a treated area has no snapshots and the ends differ, then it is left out and both are warned about',
        async (t) => {
          // known from its boundary only (the treated areas must exist as areas)
          await app.knex.transaction((trx) =>
            app.areasRepository.upsertAreas(new Map([[code('0518', 11), null]]), trx),
          )
          const gap = await createIntervention(app, [
            { area_code: treatedCodes[0], start_period: start, end_period: '2023Q2' },
            { area_code: treatedCodes[1], start_period: start, end_period: '2023Q3' },
            { area_code: code('0518', 11), start_period: start, end_period: '2023Q3' },
          ])
          const { effects } = await interventionEffects(dependencies, gap, did())
          t.equal(effects.n_treated, 2)
          t.equal(effects.period_to, '2023Q3', 'the panel ends at the last end')
          t.match(effects.warnings, [
            /treated areas end at different quarters: the panel ends at the last, 2023Q3/,
            /BU05180111 skipped: no snapshots/,
          ])
          await removeIntervention(app, gap.id)
        },
      )

      t.test('when no treated area can be used, then 422 not_estimable', async (t) => {
        const early = await createIntervention(app, [
          { area_code: treatedCodes[0], start_period: '2021Q1', end_period: null },
        ])
        await t.rejects(interventionEffects(dependencies, early, did()), {
          statusCode: 422,
          code: 'not_estimable',
          message: /no treated area of intervention .* has complete data/,
        })
        t.equal(await app.interventionsRepository.countCachedEffects(early.id), 0, 'nothing cached')
        await removeIntervention(app, early.id)
      })

      t.test(
        'when fewer than two never-treated neighbourhoods remain, then 422 not_estimable',
        async (t) => {
          // GM0599's four are all treated here; its donors are the municipality's alone
          const crowded = await createIntervention(
            app,
            gm0599.map((area) => ({ area_code: area, start_period: start, end_period: null })),
            'GM0599',
          )
          await t.rejects(
            interventionEffects(dependencies, crowded, did({ donors: 'municipality' })),
            { statusCode: 422, code: 'not_estimable', message: /fewer than two never-treated/ },
          )
          await removeIntervention(app, crowded.id)
        },
      )
    })

    t.test('interventionEffects (cache)', async (t) => {
      t.test(
        'when the same question comes again, then the stored answer is served with its time',
        async (t) => {
          await app.interventionsRepository.clearEffectsCache()
          const first = await interventionEffects(dependencies, intervention, did())
          const second = await interventionEffects(dependencies, intervention, did())
          t.equal(second.fromCache, true)
          t.same(second.effects, first.effects)
          t.equal(await app.interventionsRepository.countCachedEffects(intervention.id), 1)
        },
      )

      t.test(
        'when the options or the audience differ, then each is estimated and kept apart',
        async (t) => {
          await app.interventionsRepository.clearEffectsCache()
          await interventionEffects(dependencies, intervention, did())
          const other = await interventionEffects(dependencies, intervention, did({ maxDonors: 5 }))
          t.equal(other.fromCache, false)
          const viewer = await interventionEffects(dependencies, intervention, did(), {
            kind: 'viewer',
            thresholds,
          })
          t.equal(viewer.fromCache, false)
          t.equal(await app.interventionsRepository.countCachedEffects(intervention.id), 3)
          const viewerAgain = await interventionEffects(dependencies, intervention, did(), {
            kind: 'viewer',
            thresholds,
          })
          t.equal(viewerAgain.fromCache, true)
        },
      )

      t.test(
        'when the data changes, then the data version moves and the effect is estimated again',
        async (t) => {
          await app.interventionsRepository.clearEffectsCache()
          const before = await interventionEffects(dependencies, intervention, did())
          const revised = panelRows().filter((row) => row.area_code === gm0599[0])
          await store(revised.map((row) => ({ ...row, parental_debt: 999 })))
          const after = await interventionEffects(dependencies, intervention, did())
          t.equal(after.fromCache, false)
          t.not(after.effects.data_version, before.effects.data_version)
          t.equal(
            await app.interventionsRepository.countCachedEffects(intervention.id),
            1,
            'the entry of the old version was replaced, not added',
          )
        },
      )
    })

    t.test('interventionEffects (viewer)', async (t) => {
      t.test(
        'when a viewer asks, then the estimate is the exact one of the table with counts rounded to 5',
        async (t) => {
          const viewer = { kind: 'viewer' as const, thresholds }
          const { effects } = await interventionEffects(dependencies, intervention, did(), viewer)
          t.equal(effects.n_treated, 3)
          t.not(effects.overall.att, null, 'three treated areas: the overall effect is shown')
          t.ok(withinAbsolute(effects.overall.att!, -0.003, 0.0005))
          t.ok(
            effects.by_area.every((entry) => !entry.suppressed),
            'no treated cell withheld',
          )
          // Store the rounded table itself: its exact estimate must be the viewer's, to the bit.
          await store(
            panelRows().map((row) => roundedRow(row as typeof row & SnapshotValues, thresholds)),
          )
          const onRounded = await interventionEffects(dependencies, intervention, did())
          t.equal(effects.overall.att, onRounded.effects.overall.att)
          t.equal(effects.overall.ci_low, onRounded.effects.overall.ci_low)
          t.equal(effects.n_donors, onRounded.effects.n_donors)
          await store(panelRows())
          const restored = await interventionEffects(dependencies, intervention, did(), viewer)
          t.equal(restored.effects.overall.att, effects.overall.att, 'same table, same answer')
        },
      )
    })

    t.test('interventionEffects (synthetic control)', async (t) => {
      t.test(
        'when synthetic control is asked, then each treated area gets donors whose weights sum to 1',
        async (t) => {
          const { effects } = await interventionEffects(
            dependencies,
            intervention,
            did({ method: 'synthetic_control', donors: 'municipality' }),
          )
          t.equal(effects.method, 'synthetic_control')
          t.equal(effects.by_area.length, 3)
          for (const entry of effects.by_area) {
            const total = entry.donors.reduce((sum, donor) => sum + donor.weight, 0)
            t.ok(withinAbsolute(total, 1, 1e-6), `${entry.area_code} weights sum to ${total}`)
            t.notOk(
              entry.donors.some(
                (donor) =>
                  treatedCodes.includes(donor.area_code) || donor.area_code === otherTreated,
              ),
              'no treated area is a donor',
            )
          }
        },
      )
    })
  })
}

async function createIntervention(
  app: FastifyInstance,
  areas: InterventionAreaRow[],
  municipality = 'GM0518',
): Promise<InterventionRecord> {
  const id = randomUUID()
  await app.knex.transaction((trx) =>
    app.interventionsRepository.insert(
      { id, name: 'outreach', description: null, municipality, created_by: null },
      areas,
      trx,
    ),
  )
  await app.interventionsRepository.clearEffectsCache()
  return (await app.interventionsRepository.find(id))!
}

async function removeIntervention(app: FastifyInstance, id: string): Promise<void> {
  await app.interventionsRepository.remove(id)
  await app.interventionsRepository.clearEffectsCache()
}
