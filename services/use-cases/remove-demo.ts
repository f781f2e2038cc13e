import type { Knex } from 'knex'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import type { AreasRepository } from '../repositories/areas-repository.js'
import type { GeometriesRepository } from '../repositories/geometries-repository.js'
import type { InterventionsRepository } from '../repositories/interventions-repository.js'
import type { AlertsRepository } from '../repositories/alerts-repository.js'
import type { RiskRepository } from '../repositories/risk-repository.js'
import type { DataEvents } from './data-events.js'

export interface DemoRemoval {
  /** False when no demo was loaded (nothing changed). */
  removed: boolean
  /** Snapshot revisions of the demo deleted. */
  snapshots: number
  /** User revisions the demo had closed that got their validity back. */
  restored: number
  areas: number
  boundaries: number
  interventions: number
  alert_rules: number
  alerts: number
  model_runs: number
}

export interface RemoveDemoDependencies {
  knex: Knex
  snapshotsRepository: SnapshotsRepository
  areasRepository: AreasRepository
  geometriesRepository: GeometriesRepository
  interventionsRepository: InterventionsRepository
  alertsRepository: AlertsRepository
  riskRepository: RiskRepository
  dataEvents: DataEvents
}

/**
 * Takes the demo out again (issue 16), all or nothing in one transaction: the revisions its
 * batches stored, the boundaries it wrote and nobody replaced, the areas it created that nothing
 * else uses, and what its loader key created (the intervention, the alert rules with their
 * alerts, the model run with its scores). A user's row survives, also one that revised a demo
 * row. The data version moves, and `snapshots-changed` is emitted after the commit so caches,
 * the alert evaluator and the automatic recompute follow as after an upload.
 */
export async function removeDemo(
  dependencies: RemoveDemoDependencies,
  caller: { keyId: string | null },
): Promise<DemoRemoval> {
  const { knex, snapshotsRepository, dataEvents } = dependencies
  const outcome = await knex.transaction(async (trx) => {
    // Locked like an upload of the same municipalities, so none interleaves with the removal.
    const first = await snapshotsRepository.demoBatches(trx)
    await snapshotsRepository.lockMunicipalities(first.municipalities, trx)
    const demo = await snapshotsRepository.demoBatches(trx)
    if (demo.batchIds.length === 0) return undefined
    // The evaluator's lock: an evaluation must not write alerts of rules being deleted.
    await dependencies.alertsRepository.lockEvaluation(trx)
    const modelRuns = await dependencies.riskRepository.removeRunsRequestedBy(demo.keyIds, trx)
    const rules = await dependencies.alertsRepository.removeRulesCreatedBy(demo.keyIds, trx)
    const interventions = await dependencies.interventionsRepository.removeCreatedBy(
      demo.keyIds,
      trx,
    )
    // The never-treated controls of every other intervention changed.
    if (interventions > 0) await dependencies.interventionsRepository.clearEffectsCache(trx)
    const rows = await snapshotsRepository.removeDemoRows(demo.batchIds, trx)
    const boundaries = await dependencies.geometriesRepository.removeDemo(trx)
    const areas = await dependencies.areasRepository.removeUnusedDemoAreas(trx)
    await snapshotsRepository.moveDataVersion(trx)
    const removal: DemoRemoval = {
      removed: true,
      snapshots: rows.removed,
      restored: rows.restored,
      areas,
      boundaries,
      interventions,
      alert_rules: rules.rules,
      alerts: rules.alerts,
      model_runs: modelRuns,
    }
    return { removal, batchId: demo.batchIds[0] }
  })
  if (!outcome) {
    return {
      removed: false,
      snapshots: 0,
      restored: 0,
      areas: 0,
      boundaries: 0,
      interventions: 0,
      alert_rules: 0,
      alerts: 0,
      model_runs: 0,
    }
  }
  // The event names a batch the change concerns: here the (first) demo batch that was removed.
  await dataEvents.emit('snapshots-changed', {
    batchId: outcome.batchId,
    keyId: caller.keyId,
    changed: outcome.removal.snapshots + outcome.removal.restored,
  })
  return outcome.removal
}
