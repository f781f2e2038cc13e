import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import { fitRiskModel } from '../../models/risk/risk-model.js'
import { NotIdentifiableError, type Tensorflow } from '../../models/risk/binomial-glm.js'
import { municipalityCode } from '../domain/areas.js'
import type {
  ModelRunRow,
  RiskRepository,
  RiskScoreRow,
} from '../plugins/app/risk/risk-repository.js'

export interface RiskRunDependencies {
  knex: Knex
  riskRepository: RiskRepository
  tf: Tensorflow
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
  const { knex, riskRepository, tf } = dependencies
  try {
    await riskRepository.setProgress(run.id, 0.05)
    const rows = await riskRepository.modelInput()
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
    const population = new Map(
      rows.map((row) => [`${row.area_code}|${row.period}`, row.youth_population]),
    )
    const scores: RiskScoreRow[] = result.scores.map((score) => ({
      run_id: run.id,
      area_code: score.area_code,
      municipality_code: municipalityCode(score.area_code),
      period: score.period,
      target_period: score.target_period,
      youth_population:
        population.get(`${score.area_code}|${score.target_period}`) ??
        population.get(`${score.area_code}|${score.period}`) ??
        0,
      risk: score.risk,
      risk_ci_low: score.risk_ci_low,
      risk_ci_high: score.risk_ci_high,
      expected: score.expected,
      observed: score.observed,
      standardized_ratio: score.standardized_ratio,
      ratio_ci_low: score.ratio_ci_low,
      ratio_ci_high: score.ratio_ci_high,
      percentile: score.percentile,
      rank: score.rank,
      percentile_national: score.percentile_national,
      rank_national: score.rank_national,
    }))
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
