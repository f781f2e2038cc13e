import type { Benchmark, BenchContext, BenchScale } from './types.js'

/**
 * `npm run bench [-- --scale small] [-- --only name,name]`: runs each benchmark file in turn and
 * prints one JSON object per result on stdout ({name, value, unit, baseline?, ratio?}); progress
 * goes to stderr. Measured on PostgreSQL: BENCH_DATABASE_URL, else the local server.
 */
const benchmarks: Record<string, () => Promise<{ default: Benchmark }>> = {
  ingest: () => import('./ingest.js'),
  crash: () => import('./crash.js'),
  'model-fit': () => import('./model-fit.js'),
  effects: () => import('./effects.js'),
  recompute: () => import('./recompute.js'),
  'api-load': () => import('./api-load.js'),
  trends: () => import('./trends.js'),
  alerts: () => import('./alerts.js'),
  dashboard: () => import('./dashboard.js'),
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : undefined
}

const scale = (argument('scale') ?? 'full') as BenchScale
if (scale !== 'full' && scale !== 'small') {
  process.stderr.write('--scale must be full or small\n')
  process.exit(2)
}
const only = argument('only')?.split(',')
const context: BenchContext = {
  scale,
  log: (message) => process.stderr.write(`${message}\n`),
  serverUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
}

let failed = false
for (const [name, load] of Object.entries(benchmarks)) {
  if (only && !only.includes(name)) continue
  try {
    const results = await (await load()).default(context)
    for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`)
  } catch (error) {
    failed = true
    process.stderr.write(
      `bench ${name} failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    )
  }
}
process.exit(failed ? 1 : 0)
