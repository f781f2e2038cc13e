import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { assertAreaInScope, listScope } from '../../scope.js'
import { exactAreaTrend, exactTrendListing } from '../../../domain/trend-disclosure.js'
import {
  viewerAreaTrend,
  viewerTrendListing,
  type ViewerTrendInput,
} from '../../../use-cases/viewer-trend.js'
import { publishedModel } from '../../../domain/viewer-risk.js'
import { areaSeries, neighbourhoodSeries } from '../../../use-cases/area-series.js'
import {
  areaTrend,
  latestPeriod,
  sortTrendListing,
  trendListing,
} from '../../../use-cases/trend-report.js'
import { notFound } from '../../../errors.js'
import { AreaParamsSchema } from '../../../schemas/areas.js'
import { errorResponses } from '../../../schemas/common.js'
import {
  AreaTrendSchema,
  TrendListQuerySchema,
  TrendListSchema,
  TrendQuerySchema,
} from '../../../schemas/trends.js'
import { periodParameter } from '../../parameters.js'
import { seesExactValues } from '../../../hooks/auth.js'
import { rateLimitCosts } from '../../../plugins/rate-limit.js'

const trendRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { areasRepository, riskRepository, snapshotsRepository, config } = fastify
  const series = { snapshotsRepository, riskRepository }

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
    async (request) => {
      const { code } = request.params
      assertAreaInScope(request.caller, code)
      const range = {
        from: periodParameter('from', request.query.from),
        to: periodParameter('to', request.query.to),
      }
      const area = await areasRepository.find(code)
      if (!area) throw notFound(`no area ${code}`)
      const { aggregated, quarters } = await areaSeries(series, area)
      if (!seesExactValues(request.caller)) {
        const run = await riskRepository.latestPublished(0)
        const model = run ? publishedModel(run) : null
        let input: ViewerTrendInput
        let viewerAggregated = aggregated
        if (area.level === 'neighbourhood') {
          const district = area.parent_code
            ? await neighbourhoodSeries(series, { district: area.parent_code })
            : null
          input = { kind: 'own', quarters, district }
        } else {
          const members = await neighbourhoodSeries(
            series,
            area.level === 'district' ? { district: code } : { municipality: code },
          )
          if (members.length === 0) {
            input = { kind: 'own', quarters, district: null }
          } else {
            // Own totals beside neighbourhood rows are linked to them (total − the others): a
            // viewer gets the sum of the neighbourhoods' rounded values instead.
            const sums = aggregated
              ? quarters
              : (await areaSeries(series, area, { sumOverNeighbourhoods: true })).quarters
            const exactRiskAt = new Map(sums.map((quarter) => [quarter.period, quarter.risk]))
            input = { kind: 'sum', members, exactRiskAt }
            viewerAggregated = true
          }
        }
        return {
          area_code: code,
          aggregated: viewerAggregated,
          ...viewerAreaTrend(code, input, model, range, config),
        }
      }
      const trend = areaTrend(quarters, range)
      request.audit = { exactRead: true, areaCode: code, rows: trend.series.length }
      return { area_code: code, aggregated, ...exactAreaTrend(trend, config) }
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
