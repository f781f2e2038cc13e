import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { assertAreaInScope, listScope } from '../../scope.js'
import { exactTrendListing } from '../../../domain/trend-disclosure.js'
import { viewerTrendListing } from '../../../use-cases/viewer-trend.js'
import { neighbourhoodSeries } from '../../../use-cases/area-series.js'
import { areaTrendAnswer } from '../../../use-cases/area-trend.js'
import { latestPeriod, sortTrendListing, trendListing } from '../../../use-cases/trend-report.js'
import { LruCache } from '../../../cache/lru-cache.js'
import { notFound } from '../../../errors.js'
import { AreaParamsSchema } from '../../../schemas/areas.js'
import { errorResponses } from '../../../schemas/common.js'
import {
  AreaTrendSchema,
  TrendListQuerySchema,
  TrendListSchema,
  TrendQuerySchema,
  type AreaTrendResponse,
} from '../../../schemas/trends.js'
import { periodParameter } from '../../parameters.js'
import { seesExactValues } from '../../../hooks/auth.js'
import { rateLimitCosts } from '../../../plugins/rate-limit.js'

const trendRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { areasRepository, riskRepository, snapshotsRepository, config } = fastify
  const series = { areasRepository, snapshotsRepository, riskRepository }
  const answers = new LruCache<{ body: Buffer; rows: number }>(1024)

  fastify.get(
    '/areas/:code/trend',
    {
      schema: {
        tags: ['trends'],
        summary:
          "An area's quarterly series, year-over-year changes and Mann-Kendall trend tests; " +
          'a district or municipality without rows of its own is the sum over its neighbourhoods',
        params: AreaParamsSchema,
        querystring: TrendQuerySchema,
        response: { 200: AreaTrendSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { code } = request.params
      assertAreaInScope(request.caller, code)
      const range = {
        from: periodParameter('from', request.query.from),
        to: periodParameter('to', request.query.to),
      }
      const exact = seesExactValues(request.caller)
      // An answer is a function of the data version, the published run and the request: kept
      // as bytes, a busy trend page answers without reading or computing (issue 15).
      const [dataVersion, run] = await Promise.all([
        fastify.currentData.dataVersion(),
        fastify.currentData.publishedRun(0),
      ])
      const key = `${dataVersion}|${run?.id ?? '-'}|${code}|${range.from ?? ''}|${range.to ?? ''}|${exact ? 'exact' : 'viewer'}`
      let cached = answers.get(key)
      if (!cached) {
        const answer = await areaTrendAnswer(
          series,
          code,
          range,
          exact ? { kind: 'exact' } : { kind: 'viewer', thresholds: config },
          run,
          config,
        )
        if (!answer) throw notFound(`no area ${code}`)
        cached = {
          body: Buffer.from(reply.serialize(answer) as string),
          rows: answer.series.length,
        }
        answers.set(key, cached)
      }
      if (exact) request.audit = { exactRead: true, areaCode: code, rows: cached.rows }
      return reply
        .type('application/json; charset=utf-8')
        .send(cached.body as unknown as AreaTrendResponse)
    },
  )

  fastify.get(
    '/trends',
    {
      config: { rateLimitCost: rateLimitCosts.trends },
      schema: {
        tags: ['trends'],
        summary:
          "Every neighbourhood's year-over-year change at a quarter and its seasonal " +
          'Mann-Kendall test, with Benjamini-Hochberg adjusted p-values across the list',
        description:
          'period defaults to the latest quarter with data in scope; sort=change puts the ' +
          'largest rise first, sort=p_value the smallest p-value first, entries without a value last.',
        querystring: TrendListQuerySchema,
        response: { 200: TrendListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { sort, limit, offset } = request.query
      const municipality = listScope(request.caller, request.query.municipality)
      const asked = periodParameter('period', request.query.period)
      const neighbourhoods = await neighbourhoodSeries(series, {
        municipality,
        upTo: asked,
      })
      const period = asked ?? latestPeriod(neighbourhoods)
      if (!period) return { items: [], total: 0 }
      const viewer = !seesExactValues(request.caller)
      const disclosed = viewer
        ? viewerTrendListing(neighbourhoods, period, config)
        : exactTrendListing(trendListing(neighbourhoods, period), neighbourhoods, config)
      const items = sortTrendListing(disclosed, sort).slice(offset, offset + limit)
      if (!viewer) {
        request.audit = { exactRead: true, areaCode: municipality ?? null, rows: items.length }
      }
      return { items, total: disclosed.length }
    },
  )
}

export default trendRoutes
