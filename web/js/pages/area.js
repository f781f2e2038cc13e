import { ApiError, NotAvailableError, api, apiIfAvailable } from '../api.js'
import { chartFigure, colours, drawChangeBars, drawRateLines } from '../charts.js'
import { h, replace, status } from '../dom.js'
import { dateTime, number, percent, points, pValue, relative, stateOf } from '../format.js'
import { t } from '../i18n.js'
import { dataTable } from '../table.js'
import { stateLabel } from './alerts.js'

/**
 * One neighbourhood: the quarterly outcome rate with the model's expected rate and its band, the
 * three predictor rates, the year-over-year changes with significance marks, the trend test in
 * one sentence and the alerts with their explanations. Every chart has its table.
 */

const notAvailable = (error) => {
  if (error instanceof NotAvailableError) return undefined
  throw error
}

/** Value of a disclosed field, or null when suppressed or missing (a gap in the chart). */
const plotted = (row, field) => (stateOf(row, [field]) === 'value' ? row[field] : null)

/**
 * The band of the expected rate: where the observed rate of a quarter falls with 95% probability
 * when the model is right, by the normal approximation to the binomial with the quarter's
 * youth population (expected ± 1.96 √(p(1−p)/n)), cut off at 0.
 */
function expectedBand(entry) {
  const risk = plotted(entry, 'risk')
  const population = plotted(entry, 'youth_population')
  if (risk === null || population === null || population <= 0) return [null, null]
  const half = 1.96 * Math.sqrt((risk * (1 - risk)) / population)
  return [Math.max(0, risk - half), risk + half]
}

function trendSentence(test) {
  if (!test) return t('trendMissing')
  if ((test.suppressed ?? []).length > 0 && test.trend === undefined) return t('trendSuppressed')
  if (!Number.isFinite(test.p)) return t('trendSuppressed')
  const slope = typeof test.slope_per_year === 'number' ? points(test.slope_per_year, 3) : '–'
  if (test.trend === 'increasing') return t('trendRising', { p: pValue(test.p), slope })
  if (test.trend === 'decreasing') return t('trendFalling', { p: pValue(test.p), slope })
  return t('trendNone', { p: pValue(test.p) })
}

/** Series from the snapshot route when the trend route is not there yet (no risk, no tests). */
async function snapshotSeries(code) {
  const body = await api(`/v1/areas/${code}/snapshots?limit=10000`)
  return {
    series: [...body.items]
      .sort((a, b) => a.period.localeCompare(b.period))
      .map((item) => ({ ...item, risk: null })),
    year_over_year: null,
    seasonal_mann_kendall: undefined,
  }
}

export function alertList(alerts) {
  if (alerts === undefined) return status(t('notAvailableRoute', { what: t('alertsTitle') }))
  if (alerts.length === 0) return h('p', { class: 'quiet' }, t('noAlerts'))
  return h(
    'ul',
    { class: 'alert-list' },
    alerts.map((alert) =>
      h(
        'li',
        { class: `alert alert-${alert.state ?? 'firing'}` },
        h('strong', null, t(`kind_${alert.kind}`)),
        ` · ${alert.period ?? ''} · ${stateLabel(alert.state)}`,
        alert.first_fired_at
          ? ` · ${t('colSince').toLowerCase()} ${dateTime(alert.first_fired_at)}`
          : '',
        alert.explanation ? h('p', null, alert.explanation) : null,
      ),
    ),
  )
}

export default async function areaPage(page) {
  const { main, params, app } = page
  const [code] = params
  const municipality = `GM${code.slice(2, 6)}`
  const districtCode = code.startsWith('BU') ? `WK${code.slice(2, 8)}` : null

  const areaRequest = api(`/v1/areas/${code}`)
  const districtRequest = districtCode
    ? api(`/v1/areas/${districtCode}`).catch(() => null)
    : Promise.resolve(null)
  const trendRequest = apiIfAvailable('/v1/areas/{code}/trend', `/v1/areas/${code}/trend`).catch(
    (error) => {
      if (error instanceof NotAvailableError) return snapshotSeries(code)
      throw error
    },
  )
  const riskRequest = code.startsWith('BU')
    ? api(`/v1/risk?municipality=${municipality}`).catch((error) => {
        if (error instanceof ApiError && error.code === 'no_model_run') return null
        throw error
      })
    : Promise.resolve(null)
  const alertsRequest = apiIfAvailable('/v1/alerts', `/v1/alerts?area=${code}`)
    .catch(notAvailable)
    .catch(() => undefined)

  const [area, district, trend, risk, alerts, municipalities] = await Promise.all([
    areaRequest,
    districtRequest,
    trendRequest,
    riskRequest,
    alertsRequest,
    app.municipalities(),
  ])
  if (!page.isCurrent()) return
  app.rememberMunicipality(municipality)
  const municipalityName =
    municipalities.find((item) => item.area_code === municipality)?.area_name ?? municipality
  const name = area.area_name ?? code

  const series = trend.series ?? []
  const periods = series.map((entry) => entry.period)
  const riskItem = risk?.items?.find((item) => item.area_code === code)

  // 1. Outcome rate, expected rate and band.
  const bands = series.map(expectedBand)
  const outcomeRows = series.map((entry, index) => ({
    ...entry,
    band_low: bands[index][0],
    band_high: bands[index][1],
  }))
  const outcomeTable = dataTable({
    caption: t('chartOutcome'),
    exportName: `aanwas-${code}-outcome`,
    rows: outcomeRows,
    columns: [
      { key: 'period', label: t('colPeriod'), value: (row) => row.period },
      {
        key: 'youth',
        label: t('colYouth'),
        numeric: true,
        fields: ['youth_population'],
        value: (row) => row.youth_population,
        render: (row) => number(row.youth_population),
      },
      {
        key: 'suspects',
        label: t('colSuspects'),
        numeric: true,
        fields: ['drug_offence_suspects'],
        value: (row) => row.drug_offence_suspects,
        render: (row) => number(row.drug_offence_suspects),
      },
      {
        key: 'rate',
        label: t('seriesObserved'),
        numeric: true,
        fields: ['drug_offence_rate'],
        value: (row) => row.drug_offence_rate,
        render: (row) => percent(row.drug_offence_rate),
      },
      {
        key: 'expected',
        label: t('seriesExpected'),
        numeric: true,
        fields: ['risk'],
        value: (row) => row.risk,
        render: (row) => percent(row.risk),
      },
      {
        key: 'band',
        label: t('seriesBand'),
        numeric: true,
        fields: ['band_low', 'band_high'],
        value: (row) => row.band_low,
        render: (row) => `${percent(row.band_low)} – ${percent(row.band_high)}`,
        exportValue: (row) => `${row.band_low} – ${row.band_high}`,
      },
    ],
  })
  const outcomeFigure = chartFigure({
    id: 'chart-outcome',
    title: t('chartOutcome'),
    note: t('chartOutcomeNote'),
    table: outcomeTable,
    draw: (target) =>
      drawRateLines(target, {
        periods,
        band: series.some((entry) => plotted(entry, 'risk') !== null)
          ? { low: bands.map((band) => band[0]), high: bands.map((band) => band[1]) }
          : undefined,
        lines: [
          {
            label: t('seriesObserved'),
            values: series.map((entry) => plotted(entry, 'drug_offence_rate')),
            colour: colours.observed,
          },
          {
            label: t('seriesExpected'),
            values: series.map((entry) => plotted(entry, 'risk')),
            colour: colours.expected,
            dash: [6, 4],
          },
        ],
      }),
  })

  // 2. The three predictors.
  const predictorFields = [
    ['early_school_leaving_rate', 'predictorEarly'],
    ['halt_rate', 'predictorHalt'],
    ['parental_debt_rate', 'predictorDebt'],
  ]
  const predictorFigure = chartFigure({
    id: 'chart-predictors',
    title: t('chartPredictors'),
    table: dataTable({
      caption: t('chartPredictors'),
      exportName: `aanwas-${code}-predictors`,
      rows: series,
      columns: [
        { key: 'period', label: t('colPeriod'), value: (row) => row.period },
        ...predictorFields.map(([field, label]) => ({
          key: field,
          label: t(label),
          numeric: true,
          fields: [field],
          value: (row) => row[field],
          render: (row) => percent(row[field], 1),
        })),
      ],
    }),
    draw: (target) =>
      drawRateLines(target, {
        periods,
        digits: 0,
        lines: predictorFields.map(([field, label], index) => ({
          label: t(label),
          values: series.map((entry) => plotted(entry, field)),
          colour: colours.predictors[index],
          dash: index === 1 ? [6, 3] : index === 2 ? [2, 3] : undefined,
        })),
      }),
  })

  // 3. Year over year.
  const yoy = trend.year_over_year
  const yoyFigure = yoy
    ? chartFigure({
        id: 'chart-yoy',
        title: t('chartYoy'),
        note: t('chartYoyNote'),
        table: dataTable({
          caption: t('chartYoy'),
          exportName: `aanwas-${code}-year-over-year`,
          rows: yoy,
          columns: [
            { key: 'period', label: t('colPeriod'), value: (row) => row.period },
            {
              key: 'rate',
              label: t('colRate'),
              numeric: true,
              fields: ['rate'],
              value: (row) => row.rate,
              render: (row) => percent(row.rate),
            },
            {
              key: 'prev',
              label: t('colRatePrev'),
              numeric: true,
              fields: ['rate_prev_year'],
              value: (row) => row.rate_prev_year,
              render: (row) => percent(row.rate_prev_year),
            },
            {
              key: 'change',
              label: `${t('colChange')} (pp)`,
              numeric: true,
              fields: ['change'],
              value: (row) => row.change,
              render: (row) => points(row.change),
            },
            {
              key: 'relative',
              label: t('colChange'),
              numeric: true,
              fields: ['relative_change'],
              value: (row) => row.relative_change,
              render: (row) => relative(row.relative_change),
            },
            {
              key: 'p',
              label: t('colPValue'),
              numeric: true,
              fields: ['p_value'],
              value: (row) => row.p_value,
              render: (row) => [
                pValue(row.p_value),
                row.p_value < 0.05 ? h('span', { class: 'sig' }, ' *') : null,
              ],
            },
          ],
        }),
        draw: (target) =>
          drawChangeBars(target, {
            periods: yoy.map((entry) => entry.period),
            changes: yoy.map((entry) => plotted(entry, 'change')),
            significant: yoy.map(
              (entry) => stateOf(entry, ['p_value']) === 'value' && entry.p_value < 0.05,
            ),
          }),
      })
    : null

  // Header, risk, trend sentence.
  const riskLine =
    riskItem && stateOf(riskItem, ['risk', 'risk_ci_low', 'risk_ci_high']) === 'value'
      ? t('riskLine', {
          period: riskItem.period,
          risk: percent(riskItem.risk),
          low: percent(riskItem.risk_ci_low),
          high: percent(riskItem.risk_ci_high),
          rank: riskItem.rank,
          total: risk.total,
        })
      : riskItem
        ? `${t('colRisk')}: ${t('suppressed')}`
        : null
  const areaAlerts =
    alerts === undefined
      ? undefined
      : (alerts.items ?? []).filter((alert) => alert.area_code === code)

  replace(
    main,
    h(
      'p',
      { class: 'crumb' },
      h('a', { href: `#/overview/${municipality}` }, `← ${t('backToOverview')}`),
    ),
    h('h1', null, t('areaTitle', { name })),
    h(
      'p',
      { class: 'subtle' },
      t('areaIn', {
        code,
        district: district?.area_name ?? area.parent_code ?? '–',
        municipality: municipalityName,
      }),
    ),
    riskLine ? h('p', { class: 'lead', id: 'risk-line' }, riskLine) : null,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'trend-title' },
      h('h2', { id: 'trend-title' }, t('trendTitle')),
      h(
        'p',
        { id: 'trend-sentence' },
        trend.seasonal_mann_kendall === undefined
          ? t('notAvailableRoute', { what: t('trendTitle') })
          : trendSentence(trend.seasonal_mann_kendall),
      ),
    ),
    h('div', { class: 'chart-grid' }, outcomeFigure, predictorFigure, yoyFigure),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'alerts-title' },
      h('h2', { id: 'alerts-title' }, t('alertsTitle')),
      alertList(areaAlerts),
    ),
  )
  for (const figure of [outcomeFigure, predictorFigure, yoyFigure]) {
    if (!figure) continue
    figure.draw()
    page.onCleanup(figure.destroy)
  }
}
