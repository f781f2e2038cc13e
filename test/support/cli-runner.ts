import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The `aanwas` command as a separate process, for the CLI tests (test/bin/). */
const cli = fileURLToPath(new URL('../../bin/aanwas.js', import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `aanwas ARGS` with `env` over a clean environment (no database URL, no service, quiet
 * log unless `env` says otherwise) and answers its exit code and output.
 */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: {
        ...process.env,
        DATABASE_URL: '',
        AANWAS_URL: '',
        AANWAS_API_KEY: '',
        LOG_LEVEL: 'warn',
        ...env,
      },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
