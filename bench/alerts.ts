import { randomUUID } from 'node:crypto'
import { loadedApp } from './support.js'
import type { Benchmark } from './types.js'

/**
 * `alerts_eval_ms` (DESIGN.md §4): one evaluation of all four rule kinds (national
 * risk_percentile, yoy_rise, aberration and trend rules with their defaults) over 15,000
 * neighbourhoods × 48 quarters on PostgreSQL, after an upload: read the series and the latest
 * run's scores, evaluate, write the alerts (the first evaluation fires every alert, the most
 * writing) and their outbox events for one webhook, in one transaction. Risk scores of a
 * succeeded run are written directly (synthetic percentiles for the last two quarters) so the
 * benchmark measures evaluation, not the model fit (that is `recompute_ms`). A second
 * evaluation (nothing new, every open alert updated) is reported on stderr.
 */
const alertsBenchmark: Benchmark = async ({ scale, log, serverUrl }) => {
  const areas = scale === 'small' ? 1000 : 15000
  const { app, close } = await loadedApp(serverUrl, areas, (message) => log(`alerts: ${message}`))
  try {
    const runId = randomUUID()
    await app.knex('model_runs').insert({
      id: runId,
      status: 'succeeded',
      progress: 1,
      horizon_quarters: 0,
      scores_kept: true,
      finished_at: new Date(),
    })
    const codes = (await app
      .knex('areas')
      .where({ level: 'neighbourhood' })
      .orderBy('area_code')
      .select('area_code', 'municipality_code')) as Array<{
      area_code: string
      municipality_code: string
    }>
    const scores: Array<Record<string, string | number>> = []
    for (const period of ['2024Q3', '2024Q4']) {
      const order = codes
        .map((_, index) => index)
        .sort(
          (a, b) =>
            ((a * 7919 + (period === '2024Q4' ? 13 : 0)) % codes.length) -
            ((b * 7919 + (period === '2024Q4' ? 13 : 0)) % codes.length),
        )
      order.forEach((areaIndex, rank) => {
        const area = codes[areaIndex]
        const percentile = (100 * (codes.length - rank)) / codes.length
        scores.push({
          run_id: runId,
          area_code: area.area_code,
          municipality_code: area.municipality_code,
          period,
          target_period: period,
          youth_population: 500,
          risk: 0.001 + (0.02 * percentile) / 100,
          risk_ci_low: 0.0005,
          risk_ci_high: 0.03,
          percentile,
          rank: rank + 1,
          percentile_national: percentile,
          rank_national: rank + 1,
        })
      })
    }
    for (let start = 0; start < scores.length; start += 1000)
      await app.knex('risk_scores').insert(scores.slice(start, start + 1000))
    await app.knex('webhooks').insert({
      id: randomUUID(),
      url: 'http://127.0.0.1:9/unused',
      secret: 'bench-secret-0123456789',
    })
    for (const kind of ['risk_percentile', 'yoy_rise', 'aberration', 'trend']) {
      await app.knex('alert_rules').insert({
        id: randomUUID(),
        name: `bench ${kind}`,
        kind,
        params: JSON.stringify(
          (await import('../monitors/rules/rule-params.js')).defaultParams[kind as 'trend'],
        ),
      })
    }
    log('alerts: evaluating all four rule kinds')
    const started = performance.now()
    const summary = await app.alertEvaluator.evaluateNow()
    const elapsed = performance.now() - started
    log(
      `alerts: ${summary.areas} areas, ${summary.fired} alerts fired, ${summary.events} events in ${Math.round(elapsed)} ms (read ${summary.read_ms}, evaluate ${summary.evaluate_ms}, write ${summary.write_ms})`,
    )
    const again = performance.now()
    const second = await app.alertEvaluator.evaluateNow()
    log(
      `alerts: re-evaluation with ${second.open} open alerts in ${Math.round(performance.now() - again)} ms`,
    )
    return [{ name: 'alerts_eval_ms', value: Math.round(elapsed), unit: 'ms' }]
  } finally {
    await close()
  }
}

export default alertsBenchmark
