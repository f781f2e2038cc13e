import { ApiError, NotAvailableError, api, apiIfAvailable, available } from '../api.js'
import { chartFigure, colours, drawEventStudy, drawRateLines } from '../charts.js'
import { h, replace, status } from '../dom.js'
import { number, percent, points, pValue, relative, stateOf } from '../format.js'
import { t } from '../i18n.js'
import { dataTable } from '../table.js'

/**
 * Interventions: the list of a municipality's interventions with the power calculator for a
 * planned one, and one intervention's effects: observed vs synthetic control per treated
 * neighbourhood with the start marked, the event study with intervals, the overall effect in
 * one sentence with its uncertainty, and the warnings of the effects API.
 */

function municipalityPicker(app, municipalities, code, target) {
  if (municipalities.length <= 1) return null
  return h(
    'div',
    { class: 'field' },
    h('label', { for: 'municipality' }, t('municipality')),
    h(
      'select',
      { id: 'municipality', onchange: (event) => app.navigate(`${target}/${event.target.value}`) },
      municipalities.map((area) =>
        h(
          'option',
          { value: area.area_code, selected: area.area_code === code },
          `${area.area_name ?? area.area_code} (${area.area_code})`,
        ),
      ),
    ),
  )
}

/** The quarter containing today, e.g. "2026Q4". */
function currentQuarter() {
  const today = new Date()
  return `${today.getFullYear()}Q${Math.floor(today.getMonth() / 3) + 1}`
}

/** The power calculator (analysts and admins: the API answers 403 otherwise). */
function powerSection(neighbourhoods, preselected = []) {
  const areas = h(
    'select',
    { id: 'power-areas', multiple: true, size: 6, required: true },
    neighbourhoods.map((area) =>
      h(
        'option',
        { value: area.area_code, selected: preselected.includes(area.area_code) },
        `${area.area_name ?? area.area_code} (${area.area_code})`,
      ),
    ),
  )
  const start = h('input', {
    id: 'power-start',
    type: 'text',
    value: currentQuarter(),
    pattern: '\\d{4}\\s*-?\\s*(Q|q|KW|kw)\\d{1,2}',
    required: true,
    size: 8,
  })
  const horizon = h('input', {
    id: 'power-horizon',
    type: 'number',
    min: 1,
    max: 20,
    value: 8,
    required: true,
  })
  const effect = h('input', { id: 'power-effect', type: 'number', min: -100, max: 1000, step: 1 })
  const answer = h('div', { id: 'power-answer', 'aria-live': 'polite' })
  const form = h(
    'form',
    {
      class: 'power-form',
      onsubmit: async (event) => {
        event.preventDefault()
        const chosen = [...areas.selectedOptions].map((option) => option.value)
        if (chosen.length === 0) return
        const body = {
          areas: chosen,
          start_period: start.value.trim(),
          horizon_quarters: Number(horizon.value),
        }
        if (effect.value !== '') body.effect = Number(effect.value) / 100
        replace(answer, status(t('powerRunning')))
        try {
          const result = await api('/v1/interventions/power', { method: 'POST', body })
          replace(answer, powerAnswer(result))
        } catch (error) {
          replace(answer, status(`${t('errorPrefix')}: ${error.message}`, 'error'))
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'power-areas' }, t('powerAreas')), areas),
    h(
      'div',
      { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: 'power-start' }, t('powerStart')), start),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'power-horizon' }, t('powerHorizon')),
        horizon,
      ),
      h('div', { class: 'field' }, h('label', { for: 'power-effect' }, t('powerEffect')), effect),
    ),
    h('button', { type: 'submit' }, t('powerSubmit')),
    answer,
  )
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'power-title' },
    h('h2', { id: 'power-title' }, t('powerTitle')),
    h('p', null, t('powerIntro')),
    form,
  )
}

function powerAnswer(result) {
  const sentence =
    typeof result.mde_relative === 'number'
      ? t('powerAnswer', {
          areas: result.n_areas,
          horizon: result.horizon_quarters,
          mde: percent(result.mde_relative, 0),
          abs: number((result.mde_absolute ?? 0) * 100, 2),
          base: percent(result.baseline_rate),
        })
      : t('powerAnswerNone', { areas: result.n_areas, horizon: result.horizon_quarters })
  const atEffect =
    typeof result.effect === 'number' && typeof result.power_at_effect === 'number'
      ? t('powerAtEffect', {
          effect: relative(result.effect),
          power: percent(result.power_at_effect, 0),
        })
      : null
  return h(
    'div',
    { class: 'answer' },
    h('p', { class: 'lead' }, sentence),
    atEffect ? h('p', null, atEffect) : null,
    warningList(result.warnings),
    h(
      'details',
      null,
      h('summary', null, t('showTable')),
      dataTable({
        caption: t('powerTitle'),
        exportName: 'aanwas-power',
        rows: result.curve ?? [],
        columns: [
          {
            key: 'effect',
            label: t('colRelativeEffect'),
            numeric: true,
            value: (row) => row.relative_effect,
            render: (row) => relative(row.relative_effect),
          },
          {
            key: 'power',
            label: t('colPower'),
            numeric: true,
            value: (row) => row.power,
            render: (row) => percent(row.power, 0),
          },
        ],
      }),
    ),
  )
}

function warningList(warnings) {
  if (!Array.isArray(warnings) || warnings.length === 0) return null
  return h(
    'div',
    { class: 'warnings', role: 'note' },
    h('h3', null, t('warningsTitle')),
    h(
      'ul',
      null,
      warnings.map((warning) => h('li', null, warning)),
    ),
  )
}

const unavailable = (what) => status(t('notAvailableRoute', { what }))

async function neighbourhoodsOf(code) {
  const body = await api(`/v1/areas?municipality=${code}&level=neighbourhood&limit=10000`)
  return [...body.items].sort((a, b) =>
    (a.area_name ?? a.area_code).localeCompare(b.area_name ?? b.area_code),
  )
}

export async function interventionListPage(page) {
  const { main, params, app } = page
  const code = await app.municipality(params[0])
  const municipalities = await app.municipalities()
  if (!page.isCurrent()) return
  if (!code) {
    replace(main, h('h1', null, t('interventionsTitle')), status(t('noData')))
    return
  }
  if (!(await available('GET', '/v1/interventions'))) {
    replace(main, h('h1', null, t('interventionsTitle')), unavailable(t('interventionsTitle')))
    return
  }
  const [list, neighbourhoods, canPower] = await Promise.all([
    api(`/v1/interventions?municipality=${code}`),
    neighbourhoodsOf(code),
    available('POST', '/v1/interventions/power'),
  ])
  if (!page.isCurrent()) return
  const names = new Map(neighbourhoods.map((area) => [area.area_code, area.area_name]))
  const rows = list.items.map((item) => ({
    ...item,
    start: item.areas.map((area) => area.start_period).sort()[0] ?? null,
  }))
  replace(
    main,
    h('h1', null, t('interventionsTitle')),
    h(
      'div',
      { class: 'controls' },
      municipalityPicker(app, municipalities, code, '#/interventions'),
    ),
    rows.length === 0
      ? status(t('noInterventions'))
      : dataTable({
          id: 'interventions-table',
          caption: t('interventionsCaption'),
          exportName: `aanwas-${code}-interventions`,
          rows,
          sort: { key: 'start', direction: 'desc' },
          rowKey: (row) => row.id,
          columns: [
            {
              key: 'name',
              label: t('colName'),
              value: (row) => row.name,
              render: (row) => h('a', { href: `#/intervention/${row.id}` }, row.name),
            },
            { key: 'start', label: t('colStart'), value: (row) => row.start },
            {
              key: 'areas',
              label: t('colAreas'),
              value: (row) =>
                row.areas.map((area) => names.get(area.area_code) ?? area.area_code).join(', '),
            },
            {
              key: 'description',
              label: t('colDescription'),
              value: (row) => row.description ?? '',
              sortable: false,
            },
          ],
        }),
    canPower ? powerSection(neighbourhoods) : null,
  )
}

/** "…lower than expected (95% interval …; p = …)" plus whether the interval excludes zero. */
function overallSentence(overall) {
  if (stateOf(overall, ['att', 'ci_low', 'ci_high']) !== 'value') return t('overallSuppressed')
  const key = overall.att < 0 ? 'overallFall' : 'overallRise'
  const text = t(key, {
    att: number(Math.abs(overall.att) * 100, 2),
    low: points(overall.ci_low),
    high: points(overall.ci_high),
    p: typeof overall.p_value === 'number' ? pValue(overall.p_value) : '–',
  })
  const clear = overall.ci_low > 0 || overall.ci_high < 0
  return `${text} ${t(clear ? 'overallClear' : 'overallUnclear')}`
}

export async function interventionPage(page) {
  const { main, params, app } = page
  const [id, requestedMethod] = params
  const method = requestedMethod === 'did' ? 'did' : 'synthetic_control'
  const intervention = await apiIfAvailable('/v1/interventions/{id}', `/v1/interventions/${id}`)
  if (!page.isCurrent()) return
  app.rememberMunicipality(intervention.municipality)
  const neighbourhoods = await neighbourhoodsOf(intervention.municipality)
  const names = new Map(
    neighbourhoods.map((area) => [area.area_code, area.area_name ?? area.area_code]),
  )
  const methodSwitch = h(
    'fieldset',
    { class: 'field switch' },
    h('legend', null, t('method')),
    [
      ['synthetic_control', 'methodSc'],
      ['did', 'methodDid'],
    ].map(([value, label]) =>
      h(
        'label',
        null,
        h('input', {
          type: 'radio',
          name: 'method',
          value,
          checked: value === method,
          onchange: () => app.navigate(`#/intervention/${id}/${value}`),
        }),
        ` ${t(label)}`,
      ),
    ),
  )
  const results = h('div', { id: 'effects' }, status(t('effectsLoading')))
  replace(
    main,
    h(
      'p',
      { class: 'crumb' },
      h(
        'a',
        { href: `#/interventions/${intervention.municipality}` },
        `← ${t('interventionsTitle')}`,
      ),
    ),
    h('h1', null, intervention.name),
    intervention.description ? h('p', { class: 'lead' }, intervention.description) : null,
    h(
      'p',
      { class: 'subtle' },
      intervention.areas
        .map(
          (area) =>
            `${names.get(area.area_code) ?? area.area_code} (${t('colStart').toLowerCase()} ${area.start_period})`,
        )
        .join(' · '),
    ),
    h('div', { class: 'controls' }, methodSwitch),
    results,
  )

  let effects
  try {
    effects = await apiIfAvailable(
      '/v1/interventions/{id}/effects',
      `/v1/interventions/${id}/effects?method=${method}`,
    )
  } catch (error) {
    if (!page.isCurrent()) return
    if (error instanceof NotAvailableError) {
      replace(results, unavailable(t('colEffect')))
      return
    }
    if (error instanceof ApiError && error.status === 422) {
      replace(results, status(error.message, 'warning'))
      return
    }
    throw error
  }
  if (!page.isCurrent()) return

  const figures = []
  const startOf = new Map(intervention.areas.map((area) => [area.area_code, area.start_period]))
  for (const area of effects.by_area) {
    if (!Array.isArray(area.series) || area.series.length === 0) continue
    const name = names.get(area.area_code) ?? area.area_code
    const start = area.start_period ?? startOf.get(area.area_code)
    figures.push(
      chartFigure({
        id: `chart-synthetic-${area.area_code}`,
        title: t('chartSynthetic', { name }),
        note: figures.length === 0 ? t('chartSyntheticNote') : null,
        table: dataTable({
          caption: t('chartSynthetic', { name }),
          exportName: `aanwas-${area.area_code}-synthetic-control`,
          rows: area.series,
          columns: [
            { key: 'period', label: t('colPeriod'), value: (row) => row.period },
            {
              key: 'observed',
              label: t('seriesObserved'),
              numeric: true,
              fields: ['observed'],
              value: (row) => row.observed,
              render: (row) => percent(row.observed),
            },
            {
              key: 'synthetic',
              label: t('seriesSynthetic'),
              numeric: true,
              fields: ['synthetic'],
              value: (row) => row.synthetic,
              render: (row) => percent(row.synthetic),
            },
          ],
        }),
        draw: (target) =>
          drawRateLines(target, {
            periods: area.series.map((entry) => entry.period),
            marker: start
              ? { period: start, label: t('startMarked', { period: start }) }
              : undefined,
            lines: [
              {
                label: t('seriesObserved'),
                values: area.series.map((entry) => entry.observed),
                colour: colours.observed,
              },
              {
                label: t('seriesSynthetic'),
                values: area.series.map((entry) => entry.synthetic),
                colour: colours.expected,
                dash: [6, 4],
              },
            ],
          }),
      }),
    )
  }

  const eventStudy = effects.event_study ?? []
  const eventFigure =
    eventStudy.length > 0
      ? chartFigure({
          id: 'chart-event-study',
          title: t('chartEventStudy'),
          note: t('chartEventStudyNote'),
          table: dataTable({
            caption: t('chartEventStudy'),
            exportName: `aanwas-${id}-event-study`,
            rows: eventStudy,
            columns: [
              {
                key: 'event_time',
                label: t('colEventTime'),
                numeric: true,
                value: (row) => row.event_time,
              },
              {
                key: 'att',
                label: t('colEffect'),
                numeric: true,
                fields: ['att'],
                value: (row) => row.att,
                render: (row) => points(row.att, 3),
              },
              {
                key: 'ci_low',
                label: t('colCiLow'),
                numeric: true,
                fields: ['ci_low'],
                value: (row) => row.ci_low,
                render: (row) => points(row.ci_low, 3),
              },
              {
                key: 'ci_high',
                label: t('colCiHigh'),
                numeric: true,
                fields: ['ci_high'],
                value: (row) => row.ci_high,
                render: (row) => points(row.ci_high, 3),
              },
            ],
          }),
          draw: (target) =>
            drawEventStudy(target, {
              eventTimes: eventStudy.map((entry) => entry.event_time),
              effects: eventStudy.map((entry) =>
                stateOf(entry, ['att']) === 'value' ? entry.att : null,
              ),
              low: eventStudy.map((entry) =>
                stateOf(entry, ['ci_low']) === 'value' ? entry.ci_low : null,
              ),
              high: eventStudy.map((entry) =>
                stateOf(entry, ['ci_high']) === 'value' ? entry.ci_high : null,
              ),
            }),
        })
      : null

  const byArea = dataTable({
    id: 'effects-by-area',
    caption: t('byAreaTitle'),
    exportName: `aanwas-${id}-${method}-by-area`,
    rows: effects.by_area.map((area) => ({
      ...area,
      name: names.get(area.area_code) ?? area.area_code,
    })),
    rowHeader: 'name',
    columns: [
      {
        key: 'name',
        label: t('colArea'),
        value: (row) => row.name,
        render: (row) => h('a', { href: `#/area/${row.area_code}` }, row.name),
      },
      {
        key: 'start',
        label: t('colStart'),
        value: (row) => row.start_period ?? startOf.get(row.area_code),
      },
      {
        key: 'att',
        label: t('colEffect'),
        numeric: true,
        fields: ['att'],
        value: (row) => row.att,
        render: (row) => points(row.att),
      },
      {
        key: 'p',
        label: t('colPValue'),
        numeric: true,
        fields: ['p_value'],
        value: (row) => row.p_value,
        render: (row) => pValue(row.p_value),
      },
      {
        key: 'donors',
        label: t('colDonors'),
        sortable: false,
        value: (row) =>
          (row.donors ?? [])
            .slice(0, 3)
            .map(
              (donor) =>
                `${names.get(donor.area_code) ?? donor.area_code} ${percent(donor.weight, 0)}`,
            )
            .join(', '),
      },
    ],
  })

  replace(
    results,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'overall-title' },
      h('h2', { id: 'overall-title' }, t(method === 'did' ? 'methodDid' : 'methodSc')),
      h('p', { class: 'lead', id: 'overall-sentence' }, overallSentence(effects.overall)),
      warningList(effects.warnings),
    ),
    h('div', { class: 'chart-grid' }, figures, eventFigure),
    h('section', { class: 'panel' }, byArea),
  )
  for (const figure of [...figures, eventFigure]) {
    if (!figure) continue
    figure.draw()
    page.onCleanup(figure.destroy)
  }
}
