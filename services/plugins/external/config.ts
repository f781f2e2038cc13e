import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { loadConfig, type AanwasConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: AanwasConfig
  }
}

export interface ConfigPluginOptions {
  /** Values that win over the environment (tests, CLI flags). */
  overrides?: Partial<AanwasConfig>
}

/** The only plugin that reads the process environment (DESIGN.md §4). */
export default fp(
  async function config(fastify: FastifyInstance, options: ConfigPluginOptions) {
    fastify.decorate('config', loadConfig(process.env, options.overrides))
  },
  { name: 'config' },
)
