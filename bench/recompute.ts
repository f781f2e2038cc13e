import { loadedApp } from './support.js'
import type { Benchmark } from './types.js'

/**
 * `recompute_ms` (DESIGN.md §4): one risk-model run on PostgreSQL over 720,000 neighbourhood
 * quarters: read the current snapshots, fit on the wasm backend, write every score, timed from
 * queueing to the run's end. Progress lines give the run's own fit time and the peak RSS.
 */
const recomputeBenchmark: Benchmark = async ({ scale, log, serverUrl }) => {
  const areas = scale === 'small' ? 1000 : 15000
  const { app, close } = await loadedApp(
    serverUrl,
    areas,
    (message) => log(`recompute: ${message}`),
    { tfBackend: 'wasm' },
  )
  try {
    log('recompute: running the model')
    const started = performance.now()
    const { runId } = await app.modelRunner.queue(
      { horizon_quarters: 0, from_period: null, to_period: null },
      null,
      { publish: true },
    )
    let run = await app.riskRepository.find(runId)
    while (run && run.status !== 'succeeded' && run.status !== 'failed') {
      await app.modelRunner.idle()
      run = await app.riskRepository.find(runId)
      if (run?.status === 'queued' || run?.status === 'running')
        await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const elapsed = performance.now() - started
    if (run?.status !== 'succeeded')
      throw new Error(`the run failed: ${JSON.stringify(run?.error)}`)
    log(
      `recompute: ${run.n_rows} rows, fit ${run.fit_ms} ms on ${run.backend}, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
    )
    return [{ name: 'recompute_ms', value: Math.round(elapsed), unit: 'ms' }]
  } finally {
    await close()
  }
}

export default recomputeBenchmark
