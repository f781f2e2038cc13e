import { NotAvailableError, api, apiIfAvailable, available } from '../api.js'
import { h, replace, status } from '../dom.js'
import { dateTime, number } from '../format.js'
import { t } from '../i18n.js'
import { dataTable } from '../table.js'

/**
 * Alerts: firing (or firing and recent) alerts of the municipality, filtered by kind, each with
 * its explanation; analysts and admins can acknowledge one (the API answers 403 to viewers).
 * Below them the alert rules in force.
 */

const kinds = ['risk_percentile', 'yoy_rise', 'aberration', 'trend']

/** firing / acknowledged / resolved in the page's language. */
export function stateLabel(state) {
  if (state === 'firing') return t('stateFiring')
  if (state === 'acknowledged') return t('stateAcknowledged')
  if (state === 'resolved') return t('stateResolved')
  return state ?? ''
}

/** A value or threshold (a count, a percentile, a relative rise or a z): a few decimals. */
function formatValue(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return ''
  if (Number.isInteger(value)) return number(value)
  if (Math.abs(value) >= 10) return number(value, 1)
  if (Math.abs(value) >= 1) return number(value, 2)
  return number(value, 3)
}

export default async function alertsPage(page) {
  const { main, app } = page
  const code = await app.municipality()
  const municipalities = await app.municipalities()
  if (!page.isCurrent()) return
  replace(main, h('h1', null, t('alertsPageTitle')))
  if (!(await available('GET', '/v1/alerts'))) {
    main.append(status(t('notAvailableRoute', { what: t('alertsPageTitle') })))
    return
  }
  let municipality = code
  let state = 'open'
  let kind = ''
  const canAcknowledge = await available('POST', '/v1/alerts/{id}/acknowledge')

  const listBox = h('div', { id: 'alerts-list', 'aria-live': 'polite' })
  const rulesBox = h('div', { id: 'alert-rules' })
  const feedback = h('div', { 'aria-live': 'assertive' })

  const controls = h(
    'div',
    { class: 'controls' },
    municipalities.length > 1
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'alerts-municipality' }, t('municipality')),
          h(
            'select',
            {
              id: 'alerts-municipality',
              onchange: (event) => {
                municipality = event.target.value
                app.rememberMunicipality(municipality)
                load()
              },
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
      : null,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'alerts-state' }, t('filterState')),
      h(
        'select',
        {
          id: 'alerts-state',
          onchange: (event) => {
            state = event.target.value
            load()
          },
        },
        h('option', { value: 'open', selected: true }, t('stateOpen')),
        h('option', { value: 'all' }, t('stateAll')),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'alerts-kind' }, t('filterKind')),
      h(
        'select',
        {
          id: 'alerts-kind',
          onchange: (event) => {
            kind = event.target.value
            load()
          },
        },
        h('option', { value: '' }, t('kindAll')),
        kinds.map((value) => h('option', { value }, t(`kind_${value}`))),
      ),
    ),
  )
  main.append(controls, feedback, listBox, rulesBox)

  async function acknowledge(alert) {
    try {
      await api(`/v1/alerts/${alert.id}/acknowledge`, { method: 'POST', body: {} })
      replace(feedback)
      await load()
    } catch (error) {
      replace(feedback, status(t('acknowledgeFailed', { message: error.message }), 'error'))
    }
  }

  async function load() {
    replace(listBox, status(t('loading')))
    const [alerts, areas] = await Promise.all([
      api(`/v1/alerts?municipality=${municipality}&limit=1000`),
      api(`/v1/areas?municipality=${municipality}&level=neighbourhood&limit=10000`),
    ])
    if (!page.isCurrent()) return
    const names = new Map(
      areas.items.map((area) => [area.area_code, area.area_name ?? area.area_code]),
    )
    const rows = alerts.items.filter(
      (alert) => (!kind || alert.kind === kind) && (state === 'all' || alert.state !== 'resolved'),
    )
    const columns = [
      {
        key: 'area',
        label: t('colArea'),
        value: (row) => row.area_name ?? names.get(row.area_code) ?? row.area_code,
        render: (row) =>
          h(
            'a',
            { href: `#/area/${row.area_code}` },
            row.area_name ?? names.get(row.area_code) ?? row.area_code,
          ),
      },
      {
        key: 'kind',
        label: t('colKind'),
        value: (row) => t(`kind_${row.kind}`),
        exportValue: (row) => row.kind,
      },
      { key: 'rule', label: t('colRule'), value: (row) => row.rule_name ?? '' },
      { key: 'period', label: t('colPeriod'), value: (row) => row.period ?? '' },
      {
        key: 'value',
        label: t('colValue'),
        numeric: true,
        fields: ['value'],
        value: (row) => row.value,
        render: (row) => formatValue(row.value),
      },
      {
        key: 'threshold',
        label: t('colThreshold'),
        numeric: true,
        fields: ['threshold'],
        value: (row) => row.threshold,
        render: (row) => formatValue(row.threshold),
      },
      {
        key: 'explanation',
        label: t('colExplanation'),
        sortable: false,
        fields: ['explanation'],
        value: (row) => row.explanation ?? '',
      },
      {
        key: 'since',
        label: t('colSince'),
        value: (row) => row.first_fired_at ?? '',
        render: (row) => dateTime(row.first_fired_at),
      },
      {
        key: 'state',
        label: t('colState'),
        value: (row) => row.state ?? '',
        render: (row) => stateLabel(row.state),
      },
    ]
    if (canAcknowledge) {
      columns.push({
        key: 'action',
        label: t('colAction'),
        sortable: false,
        value: () => '',
        exportValue: (row) => (row.acknowledged_at ? row.acknowledged_at : ''),
        render: (row) =>
          row.state === 'firing'
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'small',
                  onclick: () => acknowledge(row),
                  'aria-label': `${t('acknowledge')}: ${t(`kind_${row.kind}`)}, ${row.area_name ?? row.area_code}`,
                },
                t('acknowledge'),
              )
            : row.acknowledged_at
              ? `${t('acknowledged')} ${dateTime(row.acknowledged_at)}`
              : '',
      })
    }
    replace(
      listBox,
      rows.length === 0
        ? status(t('noAlerts'))
        : dataTable({
            id: 'alerts-table',
            caption: `${t('alertsPageTitle')} (${rows.length})`,
            exportName: `aanwas-${municipality}-alerts`,
            rows,
            rowKey: (row) => row.id,
            rowHeader: 'area',
            sort: { key: 'since', direction: 'desc' },
            columns,
          }),
    )
  }

  async function loadRules() {
    try {
      const rules = await apiIfAvailable(
        '/v1/alert-rules',
        `/v1/alert-rules?municipality=${municipality}`,
      )
      if (!page.isCurrent()) return
      replace(
        rulesBox,
        dataTable({
          caption: t('rulesTitle'),
          exportName: `aanwas-${municipality}-alert-rules`,
          rows: rules.items,
          columns: [
            { key: 'name', label: t('colName'), value: (row) => row.name },
            { key: 'kind', label: t('colKind'), value: (row) => t(`kind_${row.kind}`) },
            {
              key: 'params',
              label: t('colParams'),
              sortable: false,
              value: (row) =>
                Object.entries(row.params ?? {})
                  .map(
                    ([name, value]) =>
                      `${name} = ${Array.isArray(value) ? value.join('/') : value}`,
                  )
                  .join(', '),
            },
            {
              key: 'municipality',
              label: t('municipality'),
              value: (row) => row.municipality ?? '',
            },
          ],
        }),
      )
    } catch (error) {
      if (error instanceof NotAvailableError) return
      replace(rulesBox, status(`${t('errorPrefix')}: ${error.message}`, 'error'))
    }
  }

  await Promise.all([load(), loadRules()])
}
