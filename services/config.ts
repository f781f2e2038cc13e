import { resolve } from 'node:path'

/**
 * Service configuration: one typed object built from environment variables (DESIGN.md §4).
 * Only `loadConfig` looks at an environment; everything else reads the `config` decorator.
 */
export interface AanwasConfig {
  port: number
  host: string
  /** A PostgreSQL server; undefined means the embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined
  dataDir: string
  adminKey: string | undefined
  demo: boolean
  minCell: number
  roundTo: number
  minBase: number
  webhookRetryMs: number
  webhookAllowPrivate: boolean
  autoRecompute: boolean
  serviceUrl: string | undefined
  apiKey: string | undefined
  bodyLimitBytes: number
  maxRows: number
  uploadIdleMs: number
  keySecret: string | undefined
  rateLimit: number
  readTimeoutMs: number
  logLevel: string
  tfBackend: 'tensorflow' | 'wasm' | 'cpu' | undefined
}

interface Setting<T> {
  env: string
  doc: string
  parse: (raw: string | undefined) => T
}

function integer(env: string, fallback: number, min = 0) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`${env} must be a whole number of at least ${min}, got "${raw}"`)
    }
    return value
  }
}

function positive(env: string, fallback: number) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${env} must be a positive number, got "${raw}"`)
    }
    return value
  }
}

function flag(env: string, fallback: boolean) {
  return (raw: string | undefined): boolean => {
    if (raw === undefined || raw === '') return fallback
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false
    throw new Error(`${env} must be 1 or 0, got "${raw}"`)
  }
}

const optional = (raw: string | undefined): string | undefined =>
  raw === undefined || raw === '' ? undefined : raw

export const settings: { [K in keyof AanwasConfig]: Setting<AanwasConfig[K]> } = {
  port: { env: 'PORT', doc: 'TCP port to listen on', parse: integer('PORT', 3000) },
  host: { env: 'HOST', doc: 'address to listen on', parse: (raw) => optional(raw) ?? '127.0.0.1' },
  databaseUrl: {
    env: 'DATABASE_URL',
    doc: 'PostgreSQL server; unset means the embedded PostgreSQL',
    parse: optional,
  },
  dataDir: {
    env: 'AANWAS_DATA_DIR',
    doc: 'embedded database directory',
    parse: (raw) => resolve(optional(raw) ?? './data'),
  },
  adminKey: { env: 'AANWAS_ADMIN_KEY', doc: 'bootstrap admin API key', parse: optional },
  demo: {
    env: 'AANWAS_DEMO',
    doc: 'load the demo data into an empty database',
    parse: flag('AANWAS_DEMO', false),
  },
  minCell: {
    env: 'AANWAS_MIN_CELL',
    doc: 'counts below this are suppressed',
    parse: integer('AANWAS_MIN_CELL', 10),
  },
  roundTo: {
    env: 'AANWAS_ROUND_TO',
    doc: 'counts are rounded to this multiple',
    parse: integer('AANWAS_ROUND_TO', 5, 1),
  },
  minBase: {
    env: 'AANWAS_MIN_BASE',
    doc: 'rates on a smaller base are suppressed',
    parse: integer('AANWAS_MIN_BASE', 50),
  },
  webhookRetryMs: {
    env: 'AANWAS_WEBHOOK_RETRY_MS',
    doc: 'first webhook retry delay in ms',
    parse: integer('AANWAS_WEBHOOK_RETRY_MS', 1000, 1),
  },
  webhookAllowPrivate: {
    env: 'AANWAS_WEBHOOK_ALLOW_PRIVATE',
    doc: 'allow webhook targets on loopback, private and link-local addresses (tests only)',
    parse: flag('AANWAS_WEBHOOK_ALLOW_PRIVATE', false),
  },
  autoRecompute: {
    env: 'AANWAS_AUTO_RECOMPUTE',
    doc: 'queue a model run after an upload that changed data',
    parse: flag('AANWAS_AUTO_RECOMPUTE', true),
  },
  serviceUrl: { env: 'AANWAS_URL', doc: 'running service for the CLI', parse: optional },
  apiKey: { env: 'AANWAS_API_KEY', doc: 'API key for the CLI', parse: optional },
  bodyLimitBytes: {
    env: 'AANWAS_BODY_LIMIT_MB',
    doc: 'upload size limit in MB',
    parse: (raw) => Math.round(positive('AANWAS_BODY_LIMIT_MB', 100)(raw) * 1024 * 1024),
  },
  maxRows: {
    env: 'AANWAS_MAX_ROWS',
    doc: 'upload row limit',
    parse: integer('AANWAS_MAX_ROWS', 1_000_000, 1),
  },
  uploadIdleMs: {
    env: 'AANWAS_UPLOAD_IDLE_MS',
    doc: 'an upload whose body sends nothing for this long is answered 408 and dropped',
    parse: integer('AANWAS_UPLOAD_IDLE_MS', 10_000, 100),
  },
  keySecret: { env: 'AANWAS_KEY_SECRET', doc: 'server secret for key hashing', parse: optional },
  rateLimit: {
    env: 'AANWAS_RATE_LIMIT',
    doc: 'requests per minute per key',
    parse: integer('AANWAS_RATE_LIMIT', 600, 1),
  },
  readTimeoutMs: {
    env: 'AANWAS_READ_TIMEOUT_MS',
    doc: 'a read without an answer by then gets 503 with Retry-After',
    parse: integer('AANWAS_READ_TIMEOUT_MS', 30_000, 100),
  },
  logLevel: { env: 'LOG_LEVEL', doc: 'pino log level', parse: (raw) => optional(raw) ?? 'info' },
  tfBackend: {
    env: 'AANWAS_TF_BACKEND',
    doc: 'TensorFlow.js backend: tensorflow, wasm or cpu',
    parse: (raw) => {
      const value = optional(raw)
      if (value === undefined) return undefined
      if (value === 'tensorflow' || value === 'wasm' || value === 'cpu') return value
      throw new Error(`AANWAS_TF_BACKEND must be tensorflow, wasm or cpu, got "${value}"`)
    },
  },
}

/** Builds the configuration from an environment, with explicit overrides winning (tests, CLI). */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<AanwasConfig> = {},
): AanwasConfig {
  const config = {} as Record<string, unknown>
  for (const [key, setting] of Object.entries(settings)) {
    config[key] =
      key in overrides ? overrides[key as keyof AanwasConfig] : setting.parse(env[setting.env])
  }
  return config as unknown as AanwasConfig
}
