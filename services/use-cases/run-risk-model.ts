import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import { fitRiskModel } from '../../models/risk/risk-model.js'
import { NotIdentifiableError, type Tensorflow } from '../../models/risk/binomial-glm.js'
import { municipalityCode } from '../domain/areas.js'
import type {
  ModelRunRow,
  RiskRepository,
  RiskScoreColumns,
} from '../repositories/risk-repository.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import { areaRowsOf, type SnapshotPanel } from '../db/snapshot-panel.js'
import { baseColumn, type SnapshotValues } from '../../models/vocabulary/indicators.js'

export interface RiskRunDependencies {
  knex: Knex
  riskRepository: RiskRepository
  snapshotsRepository: SnapshotsRepository
  tf: Tensorflow
}

/** The model's rows from the shared panel: every neighbourhood-quarter with a row. */
export function riskModelRows(
  panel: SnapshotPanel,
): Array<SnapshotValues & { area_code: string; period: string }> {
  return panel.areas.flatMap((area, position) =>
    areaRowsOf(panel, position).map(
      (row) =>
        ({ area_code: area.area_code, ...row }) as SnapshotValues & {
          area_code: string
          period: string
        },
    ),
  )
}

/** The cross-validation seed of a run: derived from its id, so it is recorded and reproducible. */
export function qualitySeedOf(runId: string): number {
  return createHash('sha256').update(runId).digest().readUInt32BE(0)
}

/**
 * Executes one claimed run (a Practica-style use case): read every current neighbourhood
 * snapshot, fit the risk model (models/risk), then write the scores and the results in one
 * transaction, so a crash leaves either the whole run or none of its scores. A model the data
 * cannot identify ends `failed` with `not_identifiable`; anything else unexpected ends `failed`
 * with `internal_error` and is rethrown for the log.
 */
export async function executeRiskRun(
  dependencies: RiskRunDependencies,
  run: ModelRunRow,
): Promise<void> {
  const { knex, riskRepository, snapshotsRepository, tf } = dependencies
  try {
    await riskRepository.setProgress(run.id, 0.05)
    // The database's clock, as the snapshots' valid_from and valid_to are
    const inputAt = await riskRepository.databaseTime()
    const rows = riskModelRows(await snapshotsRepository.currentPanel())
    await riskRepository.setProgress(run.id, 0.25)
    const started = performance.now()
    const result = fitRiskModel(tf, {
      rows,
      horizonQuarters: run.horizon_quarters,
      from: run.from_period ?? undefined,
      to: run.to_period ?? undefined,
      qualitySeed: qualitySeedOf(run.id),
    })
    const fitMs = Math.round(performance.now() - started)
    await riskRepository.setProgress(run.id, 0.7)
    // The base a score applies to: the target quarter's youth population when it is known, else
    // the predictors' quarter's (horizon > 0, target not yet delivered).
    const { scores: modelScores } = result
    const youthPopulation = new Int32Array(modelScores.length)
    const municipalities = new Map<string, string>()
    const municipalityColumn: string[] = new Array(modelScores.length)
    for (let index = 0; index < modelScores.length; index += 1) {
      const target = modelScores.target_row[index]
      youthPopulation[index] =
        (target === -1 ? null : rows[target][baseColumn]) ??
        rows[modelScores.row[index]][baseColumn] ??
        0
      const areaCode = modelScores.area_code[index]
      let municipality = municipalities.get(areaCode)
      if (municipality === undefined) {
        municipality = municipalityCode(areaCode)
        municipalities.set(areaCode, municipality)
      }
      municipalityColumn[index] = municipality
    }
    const scores: RiskScoreColumns = {
      run_id: run.id,
      length: modelScores.length,
      area_code: modelScores.area_code,
      municipality_code: municipalityColumn,
      period: modelScores.period,
      target_period: modelScores.target_period,
      [baseColumn]: youthPopulation,
      risk: modelScores.risk,
      risk_ci_low: modelScores.risk_ci_low,
      risk_ci_high: modelScores.risk_ci_high,
      expected: modelScores.expected,
      observed: modelScores.observed,
      standardized_ratio: modelScores.standardized_ratio,
      ratio_ci_low: modelScores.ratio_ci_low,
      ratio_ci_high: modelScores.ratio_ci_high,
      percentile: modelScores.percentile,
      rank: modelScores.rank,
      percentile_national: modelScores.percentile_national,
      rank_national: modelScores.rank_national,
    }
    await knex.transaction(async (trx) => {
      await riskRepository.insertScores(scores, trx)
      await riskRepository.succeed(
        run.id,
        {
          n_rows: result.n_rows,
          n_excluded: result.n_excluded,
          iterations: result.iterations,
          converged: result.converged,
          deviance: result.deviance,
          null_deviance: result.null_deviance,
          aic: result.aic,
          coefficients: result.coefficients,
          covariance: result.covariance,
          input_at: inputAt,
          quality: result.quality && {
            brier: result.quality.brier,
            calibration: result.quality.calibration,
            cv_deviance: result.quality.cv_deviance,
            cv_folds: result.quality.cv_folds,
            cv_seed: result.quality.cv_seed,
          },
          data_from: result.data_from,
          data_to: result.data_to,
          fit_ms: fitMs,
        },
        trx,
      )
      await riskRepository.pruneScores(run.horizon_quarters, trx)
    })
  } catch (error) {
    if (error instanceof NotIdentifiableError) {
      await riskRepository.fail(run.id, { code: 'not_identifiable', message: error.message })
      return
    }
    await riskRepository.fail(run.id, {
      code: 'internal_error',
      message: 'the model run failed unexpectedly',
    })
    throw error
  }
}
