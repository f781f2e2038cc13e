import { Command, CommanderError } from 'commander'
import { buildServer, startServer } from '../services/server.js'
import { DataDirectoryDamagedError, DataDirectoryInUseError } from '../services/db/open-database.js'

/** Exit codes of DESIGN.md §2. */
export const exitCodes = { ok: 0, rejected: 1, usage: 2, unreachable: 3 } as const

const program = new Command()
program
  .name('aanwas')
  .description('Aanwas: the jonge aanwas indicator per neighbourhood and quarter')
  .exitOverride()

program
  .command('serve')
  .description('start the service (API and dashboard)')
  .action(async () => {
    const fastify = await buildServer()
    const address = await startServer(fastify)
    if (fastify.generatedAdminKey) {
      // Shown once, as Jupyter shows its token: the key is stored hashed and cannot be read back.
      process.stdout.write(
        `\nAanwas is running. A new admin API key was generated; it is shown only this once:\n\n` +
          `    ${fastify.generatedAdminKey}\n\n` +
          `Open the dashboard with it:\n\n    ${address.replace('0.0.0.0', '127.0.0.1')}/#key=${fastify.generatedAdminKey}\n\n`,
      )
    }
  })

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : exitCodes.usage)
  }
  if (error instanceof DataDirectoryInUseError || error instanceof DataDirectoryDamagedError) {
    process.stderr.write(`aanwas: ${error.message}\n`)
    process.exit(exitCodes.unreachable)
  }
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000') {
    process.stderr.write(`aanwas: the database cannot be reached: ${(error as Error).message}\n`)
    process.exit(exitCodes.unreachable)
  }
  process.stderr.write(`aanwas: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(exitCodes.rejected)
}
