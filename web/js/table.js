import { download, toCsv } from './csv.js'
import { h, replace } from './dom.js'
import { stateOf } from './format.js'
import { t } from './i18n.js'

/**
 * @typedef {object} Column
 * @property {string} key
 * @property {string} label
 * @property {(row: any) => unknown} value raw value: sorting, export and `data-value`
 * @property {(row: any) => unknown} [render] what the cell shows (text or a node)
 * @property {string[]} [fields] API fields behind the cell: a suppressed one shows as suppressed
 * @property {boolean} [numeric] right-aligned
 * @property {boolean} [sortable] default true
 * @property {(row: any) => unknown} [exportValue] defaults to `value`
 * @property {{label: string, fields?: string[], value: (row: any) => unknown}[]} [exportColumns]
 *   the columns this one becomes in the CSV export (default: itself)
 * @property {string} [title] tooltip of the cell
 */

/** The cell for a value under disclosure control. */
export function suppressedMark() {
  return h('span', { class: 'suppressed', title: t('suppressedTitle') }, t('suppressed'))
}

export function missingMark() {
  return h(
    'span',
    { class: 'missing', title: t('noData') },
    '–',
    h('span', { class: 'sr-only' }, t('noData')),
  )
}

let captionCounter = 0

function cellState(column, row) {
  return column.fields ? stateOf(row, column.fields) : 'value'
}

function compare(left, right) {
  if (typeof left === 'number' && typeof right === 'number') return left - right
  return String(left).localeCompare(String(right), undefined, { numeric: true })
}

/**
 * A sortable, exportable table. Suppressed cells show "onderdrukt"/"suppressed" and sort last,
 * like missing ones; the CSV export writes what the table shows (see csv.js).
 * @param {{caption: string, columns: Column[], rows: any[], sort?: {key: string, direction: 'asc'|'desc'},
 *   exportName?: string, rowKey?: (row: any) => string, id?: string, note?: unknown, rowHeader?: string}} options
 */
export function dataTable(options) {
  const { caption, columns, rows, exportName, rowKey } = options
  let sort = options.sort ?? null
  const headerKey = options.rowHeader ?? columns[0].key
  const table = h('table', { class: 'data', id: options.id })
  const body = h('tbody')
  const headerRow = h('tr')

  function sortedRows() {
    if (!sort) return rows
    const column = columns.find((candidate) => candidate.key === sort.key)
    if (!column) return rows
    const factor = sort.direction === 'asc' ? 1 : -1
    return [...rows].sort((a, b) => {
      const aValue = cellState(column, a) === 'value' ? column.value(a) : null
      const bValue = cellState(column, b) === 'value' ? column.value(b) : null
      const aEmpty = aValue === null || aValue === undefined || aValue === ''
      const bEmpty = bValue === null || bValue === undefined || bValue === ''
      if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? 1 : -1
      return factor * compare(aValue, bValue)
    })
  }

  function renderHeader() {
    replace(
      headerRow,
      columns.map((column) => {
        const sortable = column.sortable !== false
        const direction = sort && sort.key === column.key ? sort.direction : null
        const ariaSort =
          direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none'
        const label = sortable
          ? h(
              'button',
              {
                type: 'button',
                class: 'sort',
                title: t('sortBy', { column: column.label }),
                onclick: () => {
                  sort = {
                    key: column.key,
                    direction:
                      direction === 'asc'
                        ? 'desc'
                        : direction === 'desc'
                          ? 'asc'
                          : column.numeric
                            ? 'desc'
                            : 'asc',
                  }
                  renderHeader()
                  renderBody()
                  headerRow.querySelector(`th[data-column="${column.key}"] button`)?.focus()
                },
              },
              column.label,
              h(
                'span',
                { class: 'sort-mark', 'aria-hidden': 'true' },
                direction === 'asc' ? '▲' : direction === 'desc' ? '▼' : '↕',
              ),
            )
          : column.label
        return h(
          'th',
          {
            scope: 'col',
            class: column.numeric ? 'num' : undefined,
            'data-column': column.key,
            'aria-sort': sortable ? ariaSort : undefined,
          },
          label,
        )
      }),
    )
  }

  function renderBody() {
    replace(
      body,
      sortedRows().map((row) =>
        h(
          'tr',
          { 'data-key': rowKey ? rowKey(row) : undefined },
          columns.map((column) => {
            const state = cellState(column, row)
            const raw = state === 'value' ? column.value(row) : null
            const content =
              state === 'suppressed'
                ? suppressedMark()
                : state === 'missing'
                  ? missingMark()
                  : column.render
                    ? column.render(row)
                    : raw
            const attributes = {
              class:
                [column.numeric ? 'num' : '', state === 'value' ? '' : `cell-${state}`]
                  .join(' ')
                  .trim() || undefined,
              'data-column': column.key,
              'data-state': state,
              'data-value': raw === null || raw === undefined ? undefined : String(raw),
            }
            return column.key === headerKey
              ? h('th', { scope: 'row', ...attributes }, content)
              : h('td', attributes, content)
          }),
        ),
      ),
    )
  }

  /** The export's columns: a table column may stand for several (e.g. observed and expected). */
  const exportColumns = columns.flatMap(
    (column) =>
      column.exportColumns ?? [
        { label: column.label, fields: column.fields, value: column.exportValue ?? column.value },
      ],
  )

  function exportCsv() {
    const header = exportColumns.map((column) => column.label)
    const lines = sortedRows().map((row) =>
      exportColumns.map((column) => {
        const state = cellState(column, row)
        if (state === 'suppressed') return t('suppressed')
        if (state === 'missing') return null
        return column.value(row)
      }),
    )
    download(`${exportName ?? 'aanwas'}.csv`, toCsv(header, lines))
  }

  renderHeader()
  renderBody()
  // The caption sits above the scrolling area (so it stays readable on a phone) and names the
  // table for assistive technology.
  const captionId = `caption-${(captionCounter += 1)}`
  table.setAttribute('aria-labelledby', captionId)
  table.append(h('thead', null, headerRow), body)
  return h(
    'div',
    { class: 'table-block' },
    h('p', { class: 'table-caption', id: captionId }, caption),
    h(
      'div',
      { class: 'table-scroll', role: 'region', 'aria-labelledby': captionId, tabindex: '0' },
      table,
    ),
    options.note ? h('p', { class: 'note' }, options.note) : null,
    exportName === undefined
      ? null
      : h(
          'div',
          { class: 'table-toolbar' },
          h('button', { type: 'button', class: 'export', onclick: exportCsv }, t('exportCsv')),
        ),
  )
}
