import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { loadConfig, type AanwasConfig } from '../config.js'
import { disclosureGuaranteeProblem } from '../domain/disclosure.js'

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
    const config = loadConfig(process.env, options.overrides)
    // The viewer's disclosure guarantee needs rounding that leaves every suppressed count at
    // least two possible values (services/domain/disclosure.ts): refuse to start otherwise.
    const problem = disclosureGuaranteeProblem(config)
    if (problem) throw new Error(problem)
    fastify.decorate('config', config)
  },
  { name: 'config' },
)
