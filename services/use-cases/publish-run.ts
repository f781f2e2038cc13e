import { AppError, notFound } from '../errors.js'
import type { ModelRunRow, RiskRepository } from '../repositories/risk-repository.js'
import type { DataEvents } from './data-events.js'

/**
 * Publishing a model run (issue 14): an admin's decision that a succeeded run — an analyst's
 * preview, say — is what `GET /v1/risk`, the trend pages' risk and the risk alerts use for its
 * horizon from now on. Says so (`run-published`), so the answers that depend on it follow.
 */
export async function publishRun(
  dependencies: { riskRepository: RiskRepository; dataEvents: DataEvents },
  runId: string,
  keyId: string | null,
): Promise<ModelRunRow> {
  const { riskRepository, dataEvents } = dependencies
  const run = await riskRepository.find(runId)
  if (!run) throw notFound(`no model run ${runId}`)
  if (run.status !== 'succeeded') {
    throw new AppError(
      409,
      'conflict',
      `model run ${run.id} is ${run.status}: only a succeeded run can be published`,
    )
  }
  await riskRepository.publish(run.id, keyId)
  await dataEvents.emit('run-published', { runId: run.id, horizon: run.horizon_quarters })
  return (await riskRepository.find(run.id))!
}
