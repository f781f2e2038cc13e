import { createReadStream, statSync } from 'node:fs'
import { Readable, Transform } from 'node:stream'
import { Command, CommanderError, Option } from 'commander'
import cliProgress from 'cli-progress'
import type { FastifyInstance } from 'fastify'
import { buildServer, startServer } from '../services/server.js'
import { loadConfig } from '../services/config.js'
import { AppError } from '../services/errors.js'
import { DataDirectoryDamagedError, DataDirectoryInUseError } from '../services/db/open-database.js'
import { uploadSnapshots } from '../services/use-cases/upload-snapshots.js'
import { importGeometries } from '../services/use-cases/import-geometries.js'
import { columnMapping } from '../services/ingest/column-profiles.js'
import { uploadCharsets, type UploadCharset } from '../services/ingest/upload-records.js'
import { loadDemoData } from '../services/demo/load-demo.js'
import { removeDemo } from '../services/use-cases/remove-demo.js'

/**
 * The `aanwas` command line (DESIGN.md §2). Exit codes: 0 success, 1 rejected input (with the
 * same row errors as the API), 2 usage error, 3 database or service unreachable.
 *
 * With AANWAS_URL and AANWAS_API_KEY a command talks to the running service over HTTP; otherwise
 * it opens the database itself through the same app factory, unless another process holds the
 * embedded data directory (then it stops with exit 3 naming that process).
 */
export const exitCodes = { ok: 0, rejected: 1, usage: 2, unreachable: 3 } as const

class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message)
  }
}

const environment = () => loadConfig(process.env)

/**
 * Builds the app on the configured database without listening, quietly. Its workers follow the
 * configuration like the service's (AANWAS_AUTO_RECOMPUTE included), so an import here has the
 * after-effects of an upload over HTTP.
 */
async function openLocal(): Promise<FastifyInstance> {
  return buildServer({ overrides: { logLevel: process.env.LOG_LEVEL ?? 'warn' }, logger: false })
}

async function withLocalApp<T>(work: (app: FastifyInstance) => Promise<T>): Promise<T> {
  const app = await openLocal()
  try {
    return await work(app)
  } finally {
    await app.close()
  }
}

function printRejection(
  details: {
    total: number
    errors: Array<{ row: number; column: string | null; message: string }>
  },
  message: string,
) {
  for (const error of details.errors) {
    process.stderr.write(
      `row ${error.row}${error.column ? `, column ${error.column}` : ''}: ${error.message}\n`,
    )
  }
  if (details.total > details.errors.length) {
    process.stderr.write(`… and ${details.total - details.errors.length} more\n`)
  }
  process.stderr.write(`${message}\n`)
}

/** Byte progress on stderr for files above 1 MB, when stderr is a terminal. */
function progressStream(path: string): { stream: Readable; stop: () => void } {
  const size = statSync(path).size
  const source = createReadStream(path)
  if (!process.stderr.isTTY || size < 1024 * 1024) return { stream: source, stop: () => undefined }
  const bar = new cliProgress.SingleBar(
    { format: 'importing [{bar}] {percentage}% | {value}/{total} MB', stream: process.stderr },
    cliProgress.Presets.shades_classic,
  )
  const megabytes = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10
  bar.start(megabytes(size), 0)
  let read = 0
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      read += chunk.length
      bar.update(megabytes(read))
      callback(null, chunk)
    },
  })
  source.on('error', (error) => meter.destroy(error))
  return { stream: source.pipe(meter), stop: () => bar.stop() }
}

async function postToService(
  path: string,
  body: BodyInit,
  contentType: string,
  duplex: boolean,
): Promise<unknown> {
  const { serviceUrl, apiKey } = environment()
  let response: Response
  try {
    response = await fetch(new URL(path, serviceUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType },
      body,
      ...(duplex ? { duplex: 'half' } : {}),
    } as RequestInit)
  } catch (error) {
    throw new CliExit(
      exitCodes.unreachable,
      `the service at ${serviceUrl} cannot be reached: ${(error as Error).cause ?? (error as Error).message}`,
    )
  }
  const answer = (await response.json().catch(() => ({}))) as {
    error?: {
      code: string
      message: string
      details?: {
        total: number
        errors: Array<{ row: number; column: string | null; message: string }>
      }
    }
  }
  if (response.ok) return answer
  if (answer.error?.details?.errors) {
    printRejection(answer.error.details, answer.error.message)
    throw new CliExit(exitCodes.rejected, '')
  }
  if (response.status === 503)
    throw new CliExit(exitCodes.unreachable, answer.error?.message ?? 'the service is unavailable')
  throw new CliExit(
    exitCodes.rejected,
    answer.error?.message ?? `the service answered ${response.status}`,
  )
}

const useService = () => {
  const { serviceUrl, apiKey } = environment()
  if (serviceUrl && !apiKey)
    throw new CliExit(exitCodes.usage, 'AANWAS_URL is set but AANWAS_API_KEY is not')
  return Boolean(serviceUrl && apiKey)
}

async function runLocalImport<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (
      error instanceof AppError &&
      error.details &&
      typeof error.details === 'object' &&
      'errors' in error.details
    ) {
      printRejection(error.details as Parameters<typeof printRejection>[0], error.message)
      throw new CliExit(exitCodes.rejected, '')
    }
    if (error instanceof AppError) throw new CliExit(exitCodes.rejected, error.message)
    throw error
  }
}

const program = new Command()
program
  .name('aanwas')
  .description('Aanwas: the jonge aanwas indicator per neighbourhood and quarter')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) })

program
  .command('serve')
  .description(
    'start the service (API and dashboard); loads the demo data into an empty database when AANWAS_DEMO=1',
  )
  .action(async () => {
    const fastify = await buildServer()
    if (fastify.config.demo) {
      const demo = await loadDemoData(fastify)
      if (demo.loaded) fastify.log.info(demo, 'demo data loaded')
    }
    const address = await startServer(fastify)
    if (fastify.generatedAdminKey) {
      // Shown once, as Jupyter shows its token: the key is stored hashed and cannot be read back.
      const base = address.replace('0.0.0.0', '127.0.0.1').replace('[::1]', '127.0.0.1')
      process.stdout.write(
        `\nAanwas is running. A new admin API key was generated; it is shown only this once:\n\n` +
          `    ${fastify.generatedAdminKey}\n\n` +
          `Open the dashboard with it:\n\n    ${base}/#key=${fastify.generatedAdminKey}\n\n`,
      )
    }
  })

program
  .command('import')
  .description('import a snapshot file (CSV, or JSON with --json): all rows or none')
  .argument('<file>', 'CSV (, or ;) or JSON array of snapshot rows')
  .option('--json', 'the file is a JSON array')
  .option(
    '--columns <mapping>',
    'map source headers to snapshot columns: kwb (CBS KWB/StatLine), or JSON {"Codering_3":"area_code",…}',
  )
  .addOption(
    new Option('--charset <charset>', "the CSV file's character set")
      .choices([...uploadCharsets])
      .default('utf-8'),
  )
  .action(
    async (file: string, options: { json?: boolean; columns?: string; charset: UploadCharset }) => {
      try {
        statSync(file)
      } catch {
        throw new CliExit(exitCodes.usage, `no such file: ${file}`)
      }
      const json = options.json ?? file.toLowerCase().endsWith('.json')
      let columns: ReturnType<typeof columnMapping>
      try {
        columns = columnMapping(options.columns)
      } catch (error) {
        throw new CliExit(exitCodes.usage, (error as Error).message)
      }
      if (json && options.charset !== 'utf-8') {
        throw new CliExit(exitCodes.usage, '--charset applies to CSV files; JSON is always UTF-8')
      }
      let summary: unknown
      if (useService()) {
        const query = new URLSearchParams()
        if (options.columns) query.set('columns', options.columns)
        if (options.charset !== 'utf-8') query.set('charset', options.charset)
        const progress = progressStream(file)
        summary = await postToService(
          query.size > 0 ? `/v1/snapshots?${query}` : '/v1/snapshots',
          Readable.toWeb(progress.stream) as unknown as BodyInit,
          json ? 'application/json' : 'text/csv',
          true,
        ).finally(progress.stop)
      } else {
        // The same use case as POST /v1/snapshots: its after-effects (alert evaluation, the
        // automatic recompute) follow here too, and finish before the command ends.
        summary = await withLocalApp((app) =>
          runLocalImport(async () => {
            const dependencies = {
              knex: app.knex,
              snapshotsRepository: app.snapshotsRepository,
              areasRepository: app.areasRepository,
              dataEvents: app.dataEvents,
              // a local file has no HTTP body limit and never stalls; AANWAS_MAX_ROWS holds
              limits: { bodyLimitBytes: Number.POSITIVE_INFINITY, maxRows: app.config.maxRows },
            }
            if (json) {
              const { readFile } = await import('node:fs/promises')
              let body: unknown
              try {
                body = JSON.parse(await readFile(file, 'utf8'))
              } catch (error) {
                throw new AppError(422, 'invalid_rows', 'the file is not valid JSON', {
                  total: 1,
                  errors: [
                    {
                      row: 1,
                      column: null,
                      message: `not valid JSON: ${(error as Error).message}`,
                    },
                  ],
                })
              }
              return uploadSnapshots(
                dependencies,
                { format: 'json', body, columns },
                { keyId: null },
              )
            }
            const progress = progressStream(file)
            try {
              return await uploadSnapshots(
                dependencies,
                { format: 'csv', stream: progress.stream, columns, charset: options.charset },
                { keyId: null },
              )
            } finally {
              progress.stop()
            }
          }).then(async (result) => {
            // the queued after-effects run in this process: let them end before it closes
            await app.alertEvaluator.idle()
            await app.modelRunner.idle()
            return result
          }),
        )
      }
      process.stdout.write(`${JSON.stringify(summary)}\n`)
    },
  )

program
  .command('import-geo')
  .description('import area boundaries from a GeoJSON FeatureCollection')
  .argument('<file>', 'GeoJSON file')
  .option('--code-property <name>', 'the feature property holding the CBS code')
  .option(
    '--skip-invalid',
    'leave out features with an empty or collapsed geometry (listed in the answer) instead of rejecting the file',
  )
  .action(async (file: string, options: { codeProperty?: string; skipInvalid?: boolean }) => {
    const { readFile } = await import('node:fs/promises')
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch {
      throw new CliExit(exitCodes.usage, `no such file: ${file}`)
    }
    let summary: unknown
    if (useService()) {
      const parameters = new URLSearchParams()
      if (options.codeProperty) parameters.set('code_property', options.codeProperty)
      if (options.skipInvalid) parameters.set('skip_invalid', 'true')
      const query = parameters.size > 0 ? `?${parameters}` : ''
      summary = await postToService(`/v1/geometries${query}`, text, 'application/json', false)
    } else {
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch (error) {
        throw new CliExit(
          exitCodes.rejected,
          `row 1: the file is not valid JSON: ${(error as Error).message}`,
        )
      }
      summary = await withLocalApp((app) =>
        runLocalImport(() =>
          importGeometries(
            app.knex,
            { areas: app.areasRepository, geometries: app.geometriesRepository },
            body,
            options.codeProperty,
            { skipInvalid: options.skipInvalid },
          ),
        ),
      )
    }
    process.stdout.write(`${JSON.stringify(summary)}\n`)
  })

program
  .command('demo')
  .description(
    'load the demo data set (only into an empty database unless --force), or take it out again with --remove',
  )
  .option('--force', 'load even when the database holds data (or a demo was removed before)')
  .option(
    '--remove',
    "remove the demo: its snapshots, the areas and boundaries only it created, its intervention, alert rules and model runs (a user's rows stay)",
  )
  .action(async (options: { force?: boolean; remove?: boolean }) => {
    if (options.force && options.remove)
      throw new CliExit(exitCodes.usage, '--force and --remove exclude each other')
    if (useService())
      throw new CliExit(
        exitCodes.usage,
        'demo works on a database: unset AANWAS_URL and stop the service first',
      )
    const summary = await withLocalApp<object>((app) =>
      options.remove
        ? removeDemo(app, { keyId: null })
        : loadDemoData(app, { force: options.force }),
    )
    process.stdout.write(`${JSON.stringify(summary)}\n`)
  })

program
  .command('recompute')
  .description('run the national risk model now and print the run')
  .option('--horizon <quarters>', 'horizon in quarters (outcome of t+h on predictors of t)', '0')
  .action(async (options: { horizon: string }) => {
    const horizon = Number(options.horizon)
    if (!Number.isInteger(horizon) || horizon < 0 || horizon > 40) {
      throw new CliExit(
        exitCodes.usage,
        `--horizon must be a whole number from 0 to 40, got ${options.horizon}`,
      )
    }
    let run: { status?: string; error?: { message: string } | null }
    if (useService()) {
      const { serviceUrl, apiKey } = environment()
      const accepted = (await postToService(
        '/v1/risk-model/runs',
        JSON.stringify({ horizon_quarters: horizon }),
        'application/json',
        false,
      )) as {
        run_id: string
      }
      for (;;) {
        const response = await fetch(
          new URL(`/v1/risk-model/runs/${accepted.run_id}`, serviceUrl),
          {
            headers: { authorization: `Bearer ${apiKey}` },
          },
        ).catch((error: Error) => {
          throw new CliExit(
            exitCodes.unreachable,
            `the service at ${serviceUrl} cannot be reached: ${error.message}`,
          )
        })
        run = (await response.json()) as typeof run
        if (run.status === 'succeeded' || run.status === 'failed') break
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    } else {
      run = await withLocalApp(async (app) => {
        const { runId } = await app.modelRunner.queue(
          { horizon_quarters: horizon, from_period: null, to_period: null },
          null,
          // the operator's own recompute on the database: published, as an admin's run
          { publish: true },
        )
        for (;;) {
          await app.modelRunner.idle()
          const current = await app.riskRepository.find(runId)
          if (current?.status === 'succeeded' || current?.status === 'failed') return current
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      })
    }
    process.stdout.write(`${JSON.stringify(run)}\n`)
    if (run.status === 'failed')
      throw new CliExit(exitCodes.rejected, run.error?.message ?? 'the model run failed')
  })

const keys = program.command('keys').description('manage API keys')
keys
  .command('create')
  .description('create an API key and print it once')
  .addOption(
    new Option('--role <role>', 'viewer, analyst or admin')
      .choices(['viewer', 'analyst', 'admin'])
      .makeOptionMandatory(),
  )
  .option('--municipality <code>', 'limit the key to one municipality (GM....)')
  .option('--label <text>', 'a label to recognise the key by')
  .action(
    async (options: {
      role: 'viewer' | 'analyst' | 'admin'
      municipality?: string
      label?: string
    }) => {
      if (options.municipality && !/^GM\d{4}$/.test(options.municipality)) {
        throw new CliExit(
          exitCodes.usage,
          `--municipality must be a code like GM0518, got ${options.municipality}`,
        )
      }
      if (options.role === 'admin' && options.municipality) {
        throw new CliExit(exitCodes.usage, 'admin keys have no municipality scope')
      }
      const payload = {
        role: options.role,
        ...(options.municipality ? { municipality: options.municipality } : {}),
        ...(options.label ? { label: options.label } : {}),
      }
      let created: unknown
      if (useService()) {
        created = await postToService(
          '/v1/keys',
          JSON.stringify(payload),
          'application/json',
          false,
        )
      } else {
        created = await withLocalApp(async (app) => {
          const { randomUUID } = await import('node:crypto')
          const id = randomUUID()
          const key = app.newApiKeySecret()
          await app.keysRepository.insert({
            id,
            key_hash: app.hashApiKey(key),
            role: options.role,
            municipality: options.municipality ?? null,
            label: options.label ?? null,
          })
          return { id, key }
        })
      }
      process.stdout.write(`${JSON.stringify(created)}\n`)
    },
  )

function unreachable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  const nested = (error as { errors?: Array<{ code?: string }> }).errors?.some(
    (inner) => inner.code === 'ECONNREFUSED',
  )
  return (
    nested === true ||
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '28P01', '28000', '3D000'].includes(
      code ?? '',
    ) ||
    /Knex: Timeout acquiring a connection|connect ECONNREFUSED|Connection terminated/.test(
      (error as Error).message ?? '',
    )
  )
}

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? exitCodes.ok : exitCodes.usage)
  }
  if (error instanceof CliExit) {
    if (error.message) process.stderr.write(`aanwas: ${error.message}\n`)
    process.exit(error.exitCode)
  }
  if (error instanceof DataDirectoryInUseError || error instanceof DataDirectoryDamagedError) {
    process.stderr.write(`aanwas: ${error.message}\n`)
    process.exit(exitCodes.unreachable)
  }
  if (unreachable(error)) {
    process.stderr.write(`aanwas: the database cannot be reached: ${(error as Error).message}\n`)
    process.exit(exitCodes.unreachable)
  }
  process.stderr.write(`aanwas: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(exitCodes.rejected)
}
