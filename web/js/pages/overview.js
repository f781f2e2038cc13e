/* global history, location */
import { ApiError, NotAvailableError, api, apiIfAvailable } from '../api.js'
import { h, replace, status } from '../dom.js'
import { number, percent, points, pValue, relative, stateOf } from '../format.js'
import { t } from '../i18n.js'
import { choropleth, legend, missingStyle, suppressedStyle } from '../map.js'
import { dataTable } from '../table.js'

/**
 * Overview: the municipality's neighbourhoods on a map coloured by risk percentile or by the
 * year-over-year change (switchable), beside the table ranked by risk with interval, observed
 * vs expected, change and alerts. Sets the `aanwas-interactive` mark once map and table show.
 */

const riskClasses = [
  { upTo: 20, colour: '#fff5d6', label: '0–20' },
  { upTo: 40, colour: '#fed976', label: '20–40' },
  { upTo: 60, colour: '#fd8d3c', label: '40–60' },
  { upTo: 80, colour: '#e31a1c', label: '60–80' },
  { upTo: Infinity, colour: '#800026', label: '80–100' },
]

const changeClasses = [
  { upTo: -0.25, colour: '#2166ac', label: '< −25%' },
  { upTo: -0.05, colour: '#92c5de', label: '−25% … −5%' },
  { upTo: 0.05, colour: '#f7f7f7', label: '−5% … +5%' },
  { upTo: 0.25, colour: '#f4a582', label: '+5% … +25%' },
  { upTo: Infinity, colour: '#b2182b', label: '> +25%' },
]

const classOf = (classes, value) => classes.find((entry) => value <= entry.upTo) ?? classes.at(-1)

/** Prefixes the field names a trend entry lists as suppressed, so they fit the merged row. */
function trendFields(trend) {
  if (!trend) return { trend_missing: true }
  return {
    trend_change: trend.change,
    trend_relative_change: trend.relative_change,
    trend_p_adjusted: trend.p_adjusted,
    trend_p_value: trend.p_value,
    trend_suppressed: (trend.suppressed ?? []).map((field) => `trend_${field}`),
  }
}

/** One table row per neighbourhood: the risk item, its trend entry and its firing alerts. */
function mergeRows(features, risk, trends, alerts) {
  const byCode = new Map()
  const names = new Map(
    features.map((feature) => [feature.properties.area_code, feature.properties.area_name]),
  )
  const trendByCode = new Map((trends?.items ?? []).map((item) => [item.area_code, item]))
  const alertsByCode = new Map()
  for (const alert of alerts?.items ?? []) {
    if (alert.state === 'resolved') continue
    const list = alertsByCode.get(alert.area_code) ?? []
    list.push(alert)
    alertsByCode.set(alert.area_code, list)
  }
  const add = (code, base) => {
    if (byCode.has(code)) return
    const trend = trendFields(trendByCode.get(code))
    byCode.set(code, {
      ...base,
      area_code: code,
      area_name: base.area_name ?? names.get(code) ?? trendByCode.get(code)?.area_name ?? code,
      ...trend,
      suppressed: [...(base.suppressed ?? []), ...(trend.trend_suppressed ?? [])],
      alerts: alertsByCode.get(code) ?? [],
    })
  }
  for (const item of risk?.items ?? []) add(item.area_code, item)
  for (const code of names.keys()) add(code, { rank: null, risk: null })
  for (const code of trendByCode.keys()) add(code, { rank: null, risk: null })
  return [...byCode.values()]
}

function significanceMark(p) {
  if (typeof p !== 'number' || p >= 0.05) return null
  return h(
    'span',
    { class: 'sig', title: t('significant') },
    '*',
    h('span', { class: 'sr-only' }, ` ${t('significantMark')}`),
  )
}

function tableColumns(hasTrends, hasAlerts) {
  const columns = [
    { key: 'rank', label: t('colRank'), numeric: true, fields: ['rank'], value: (row) => row.rank },
    {
      key: 'area',
      label: t('colArea'),
      value: (row) => row.area_name,
      render: (row) => h('a', { href: `#/area/${row.area_code}` }, row.area_name),
      exportValue: (row) => `${row.area_name} (${row.area_code})`,
    },
    {
      key: 'risk',
      label: t('colRisk'),
      numeric: true,
      fields: ['risk'],
      value: (row) => row.risk,
      render: (row) => percent(row.risk, 2),
    },
    {
      key: 'interval',
      label: t('colInterval'),
      numeric: true,
      fields: ['risk_ci_low', 'risk_ci_high'],
      value: (row) => row.risk_ci_low,
      render: (row) => `${number(row.risk_ci_low * 100, 2)}–${percent(row.risk_ci_high, 2)}`,
      exportColumns: [
        {
          label: `${t('colInterval')} (${t('colCiLow')})`,
          fields: ['risk_ci_low'],
          value: (row) => row.risk_ci_low,
        },
        {
          label: `${t('colInterval')} (${t('colCiHigh')})`,
          fields: ['risk_ci_high'],
          value: (row) => row.risk_ci_high,
        },
      ],
    },
    {
      key: 'observed_expected',
      label: t('colObservedExpected'),
      numeric: true,
      fields: ['observed', 'expected'],
      value: (row) =>
        row.standardized_ratio ?? (row.expected > 0 ? row.observed / row.expected : null),
      render: (row) =>
        h(
          'span',
          {
            title:
              stateOf(row, ['standardized_ratio', 'ratio_ci_low', 'ratio_ci_high']) === 'value'
                ? `${t('colRatio')}: ${number(row.standardized_ratio, 2)} (95%: ${number(row.ratio_ci_low, 2)}–${number(row.ratio_ci_high, 2)})`
                : undefined,
          },
          `${number(row.observed)} / ${number(row.expected, 1)}`,
        ),
      exportColumns: [
        { label: t('colObserved'), fields: ['observed'], value: (row) => row.observed },
        { label: t('colExpected'), fields: ['expected'], value: (row) => row.expected },
        {
          label: t('colRatio'),
          fields: ['standardized_ratio'],
          value: (row) => row.standardized_ratio,
        },
        {
          label: `${t('colRatio')} (${t('colCiLow')})`,
          fields: ['ratio_ci_low'],
          value: (row) => row.ratio_ci_low,
        },
        {
          label: `${t('colRatio')} (${t('colCiHigh')})`,
          fields: ['ratio_ci_high'],
          value: (row) => row.ratio_ci_high,
        },
      ],
    },
  ]
  if (hasTrends) {
    columns.push({
      key: 'change',
      label: t('colChange'),
      numeric: true,
      fields: ['trend_relative_change', 'trend_change'],
      value: (row) => row.trend_relative_change,
      render: (row) => [
        h(
          'span',
          {
            title: `${points(row.trend_change)} pp; p = ${pValue(row.trend_p_value)}, ${t('colPAdjusted')} = ${pValue(row.trend_p_adjusted)}`,
          },
          relative(row.trend_relative_change),
        ),
        significanceMark(row.trend_p_adjusted),
      ],
      exportColumns: [
        {
          label: t('colChange'),
          fields: ['trend_relative_change'],
          value: (row) => row.trend_relative_change,
        },
        {
          label: `${t('colChange')} (pp)`,
          fields: ['trend_change'],
          value: (row) => (typeof row.trend_change === 'number' ? row.trend_change * 100 : null),
        },
        { label: t('colPValue'), fields: ['trend_p_value'], value: (row) => row.trend_p_value },
        {
          label: t('colPAdjusted'),
          fields: ['trend_p_adjusted'],
          value: (row) => row.trend_p_adjusted,
        },
      ],
    })
  }
  if (hasAlerts) {
    columns.push({
      key: 'alerts',
      label: t('colAlerts'),
      numeric: true,
      value: (row) => row.alerts.length,
      render: (row) =>
        row.alerts.length === 0
          ? h('span', { class: 'quiet' }, '0')
          : h(
              'a',
              {
                href: '#/alerts',
                class: 'alert-count',
                title: row.alerts.map((alert) => t(`kind_${alert.kind}`)).join(', '),
              },
              String(row.alerts.length),
            ),
      exportValue: (row) => row.alerts.map((alert) => alert.kind).join(' '),
    })
  }
  return columns
}

/** Map colouring for a mode: style and tooltip per area code, and the legend. */
function colouring(mode, rowsByCode) {
  if (mode === 'change') {
    return {
      styleOf: (code) => {
        const row = rowsByCode.get(code)
        const state = stateOf(row, ['trend_relative_change'])
        if (state === 'suppressed') return suppressedStyle
        if (state === 'missing') return missingStyle
        return {
          fillColor: classOf(changeClasses, row.trend_relative_change).colour,
          dashArray: null,
        }
      },
      labelOf: (code, name) => {
        const row = rowsByCode.get(code)
        const state = stateOf(row, ['trend_relative_change'])
        const value =
          state === 'value'
            ? relative(row.trend_relative_change)
            : state === 'suppressed'
              ? t('suppressed')
              : t('noData')
        return `${name}: ${value}`
      },
      legend: legend(t('legendChange'), [
        ...changeClasses.map((entry) => ({ colour: entry.colour, label: entry.label })),
        { colour: suppressedStyle.fillColor, label: t('legendSuppressed'), dashed: true },
        { colour: missingStyle.fillColor, label: t('legendNoData') },
      ]),
    }
  }
  return {
    styleOf: (code) => {
      const row = rowsByCode.get(code)
      const state = stateOf(row, ['risk', 'percentile'])
      if (state === 'suppressed') return suppressedStyle
      if (state === 'missing') return missingStyle
      return { fillColor: classOf(riskClasses, row.percentile).colour, dashArray: null }
    },
    labelOf: (code, name) => {
      const row = rowsByCode.get(code)
      const state = stateOf(row, ['risk', 'percentile'])
      const value =
        state === 'value'
          ? `${t('colRisk').toLowerCase()} ${percent(row.risk, 2)}, ${t('colPercentile').toLowerCase()} ${number(row.percentile)}`
          : state === 'suppressed'
            ? t('suppressed')
            : t('noData')
      return `${name}: ${value}`
    },
    legend: legend(t('legendRisk'), [
      ...riskClasses.map((entry) => ({ colour: entry.colour, label: entry.label })),
      { colour: suppressedStyle.fillColor, label: t('legendSuppressed'), dashed: true },
      { colour: missingStyle.fillColor, label: t('legendNoData') },
    ]),
  }
}

const orNull = (promise) =>
  promise.catch((error) => {
    if (error instanceof NotAvailableError) return undefined
    throw error
  })

export default async function overviewPage(page) {
  const { main, params, app } = page
  const [requestedCode, requestedMode] = params
  const code = await app.municipality(requestedCode)
  if (!page.isCurrent()) return
  if (!code) {
    replace(main, h('h1', null, t('overviewTitle')), status(t('noData')))
    return
  }
  const municipalities = await app.municipalities()
  const municipalityName = municipalities.find((area) => area.area_code === code)?.area_name ?? code
  let mode = requestedMode === 'change' ? 'change' : 'risk'

  // Everything the page needs, asked for at once.
  const geometriesRequest = api(`/v1/geometries?municipality=${code}&level=neighbourhood`)
  const riskRequest = api(`/v1/risk?municipality=${code}`).catch((error) => {
    if (error instanceof ApiError && error.code === 'no_model_run') return null
    throw error
  })
  const trendsRequest = orNull(apiIfAvailable('/v1/trends', `/v1/trends?municipality=${code}`))
  const alertsRequest = orNull(
    apiIfAvailable('/v1/alerts', `/v1/alerts?municipality=${code}&limit=10000`),
  ).catch(() => undefined)

  const picker =
    municipalities.length > 1
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'municipality' }, t('municipality')),
          h(
            'select',
            {
              id: 'municipality',
              onchange: (event) => app.navigate(`#/overview/${event.target.value}/${mode}`),
            },
            municipalities.map((area) =>
              h(
                'option',
                { value: area.area_code, selected: area.area_code === code },
                `${area.area_name ?? area.area_code} (${area.area_code})`,
              ),
            ),
          ),
        )
      : null
  const modeSwitch = h(
    'fieldset',
    { class: 'field switch' },
    h('legend', null, t('colourBy')),
    ['risk', 'change'].map((value) =>
      h(
        'label',
        null,
        h('input', {
          type: 'radio',
          name: 'colour',
          value,
          checked: mode === value,
          onchange: () => setMode(value),
        }),
        ` ${t(value === 'risk' ? 'colourRisk' : 'colourChange')}`,
      ),
    ),
  )
  const mapBox = h('div', { id: 'map', class: 'map' })
  const legendBox = h('div', { class: 'legend-box' })
  const mapNote = h('p', { class: 'sr-only', id: 'map-description' })
  const tableBox = h('div', { id: 'overview-table' }, status(t('loading')))
  replace(
    main,
    h('h1', null, `${t('overviewTitle')}: ${municipalityName}`),
    h('div', { class: 'controls' }, picker, modeSwitch),
    h(
      'div',
      { class: 'overview-grid' },
      h(
        'section',
        { class: 'panel map-panel', 'aria-labelledby': 'map-title' },
        h('h2', { id: 'map-title' }, t('mapTitle', { name: municipalityName })),
        mapNote,
        mapBox,
        legendBox,
      ),
      h('section', { class: 'panel table-panel', 'aria-label': t('colArea') }, tableBox),
    ),
  )

  const [geometries, risk, trends, alerts] = await Promise.all([
    geometriesRequest,
    riskRequest,
    trendsRequest,
    alertsRequest,
  ])
  if (!page.isCurrent()) return

  const features = geometries.features.filter(
    (feature) => feature.properties.level === 'neighbourhood',
  )
  const rows = mergeRows(features, risk, trends, alerts)
  const rowsByCode = new Map(rows.map((row) => [row.area_code, row]))

  // Map.
  let map = null
  if (features.length === 0) {
    replace(mapBox, status(t('noGeometries')))
    mapBox.classList.add('map-empty')
  } else {
    const first = colouring(mode, rowsByCode)
    map = choropleth(mapBox, {
      features,
      styleOf: first.styleOf,
      labelOf: first.labelOf,
      onSelect: (areaCode) => app.navigate(`#/area/${areaCode}`),
    })
    page.onCleanup(() => map.destroy())
    replace(legendBox, first.legend)
  }
  mapNote.textContent = t('mapLabel', { what: t(mode === 'risk' ? 'colourRisk' : 'colourChange') })
  mapBox.setAttribute('aria-describedby', 'map-description')

  function setMode(next) {
    mode = next
    const scheme = colouring(mode, rowsByCode)
    if (map) map.update(scheme)
    replace(legendBox, scheme.legend)
    mapNote.textContent = t('mapLabel', {
      what: t(mode === 'risk' ? 'colourRisk' : 'colourChange'),
    })
    history.replaceState(
      null,
      '',
      `${location.pathname}${location.search}#/overview/${code}/${mode}`,
    )
  }

  // Table.
  const period = risk?.period || trends?.items?.[0]?.period || ''
  replace(
    tableBox,
    risk === null ? status(t('noModelRun'), 'warning') : null,
    dataTable({
      id: 'risk-table',
      caption: t('tableTitle', { period }),
      columns: tableColumns(trends !== undefined, alerts !== undefined),
      rows,
      sort: { key: 'rank', direction: 'asc' },
      rowHeader: 'area',
      exportName: `aanwas-${code}-${period || 'risk'}`,
      rowKey: (row) => row.area_code,
      note: [
        t('riskSummary', { period }),
        trends !== undefined
          ? ` ${t('colChange')}: ${trends.items?.[0]?.period ?? ''}, * = ${t('significant')} (Benjamini-Hochberg).`
          : '',
      ].join(''),
    }),
  )
  app.markInteractive()
}
