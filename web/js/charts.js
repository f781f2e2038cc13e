/* global ResizeObserver */
import uPlot from '/vendor/uplot/uPlot.esm.js'
import { h } from './dom.js'
import { number } from './format.js'
import { t } from './i18n.js'

/**
 * Charts with uPlot (canvas). Every chart sits in a <figure> with a caption, a text label for
 * screen readers and its data as a table in a <details> beside it (the accessible alternative).
 * Rates are plotted in percent (rate × 100).
 */

export const colours = {
  observed: '#1d4e89',
  expected: '#b4410c',
  band: 'rgba(180, 65, 12, 0.14)',
  predictors: ['#1b7837', '#762a83', '#8c510a'],
  significant: '#b2182b',
  notSignificant: '#9fb3c8',
  grid: '#e3e6ea',
  axis: '#333',
  marker: '#444',
}

const font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'

function axis(extra = {}) {
  return {
    stroke: colours.axis,
    font,
    grid: { stroke: colours.grid, width: 1 },
    ticks: { stroke: colours.grid, width: 1 },
    ...extra,
  }
}

/** A y axis in percent with `digits` decimals. */
function percentAxis(digits = 1) {
  return axis({
    size: 56,
    values: (_chart, splits) => splits.map((value) => `${number(value, digits)}%`),
  })
}

/** An x axis labelling integer positions with the quarters they stand for. */
function periodAxis(periods) {
  return axis({
    space: 60,
    incrs: [1, 2, 4, 8, 12, 16, 20, 40],
    values: (_chart, splits) =>
      splits.map((value) => (Number.isInteger(value) ? (periods[value] ?? '') : '')),
  })
}

/** Draws a vertical dashed line with a label at x value `at` (a hooks.draw plugin). */
function verticalMarker(at, label) {
  return {
    hooks: {
      draw: [
        (chart) => {
          if (at === null || at === undefined) return
          const { ctx, bbox } = chart
          const x = Math.round(chart.valToPos(at, 'x', true))
          if (x < bbox.left || x > bbox.left + bbox.width) return
          ctx.save()
          ctx.strokeStyle = colours.marker
          ctx.setLineDash([5, 4])
          ctx.lineWidth = 1.5 * uPlot.pxRatio
          ctx.beginPath()
          ctx.moveTo(x, bbox.top)
          ctx.lineTo(x, bbox.top + bbox.height)
          ctx.stroke()
          if (label) {
            ctx.setLineDash([])
            ctx.fillStyle = colours.marker
            ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`
            ctx.fillText(label, x + 4 * uPlot.pxRatio, bbox.top + 12 * uPlot.pxRatio)
          }
          ctx.restore()
        },
      ],
    },
  }
}

/** Draws a horizontal line at y = 0. */
function zeroLine() {
  return {
    hooks: {
      draw: [
        (chart) => {
          const { ctx, bbox } = chart
          const y = Math.round(chart.valToPos(0, 'y', true))
          if (y < bbox.top || y > bbox.top + bbox.height) return
          ctx.save()
          ctx.strokeStyle = '#777'
          ctx.lineWidth = uPlot.pxRatio
          ctx.beginPath()
          ctx.moveTo(bbox.left, y)
          ctx.lineTo(bbox.left + bbox.width, y)
          ctx.stroke()
          ctx.restore()
        },
      ],
    },
  }
}

/** Vertical interval whiskers from `low[i]` to `high[i]` at `x[i]`. */
function whiskers(low, high) {
  return {
    hooks: {
      draw: [
        (chart) => {
          const { ctx } = chart
          const xs = chart.data[0]
          ctx.save()
          ctx.strokeStyle = colours.observed
          ctx.lineWidth = 1.5 * uPlot.pxRatio
          for (let index = 0; index < xs.length; index += 1) {
            if (typeof low[index] !== 'number' || typeof high[index] !== 'number') continue
            const x = Math.round(chart.valToPos(xs[index], 'x', true))
            const top = chart.valToPos(high[index], 'y', true)
            const bottom = chart.valToPos(low[index], 'y', true)
            const cap = 3 * uPlot.pxRatio
            ctx.beginPath()
            ctx.moveTo(x, top)
            ctx.lineTo(x, bottom)
            ctx.moveTo(x - cap, top)
            ctx.lineTo(x + cap, top)
            ctx.moveTo(x - cap, bottom)
            ctx.lineTo(x + cap, bottom)
            ctx.stroke()
          }
          ctx.restore()
        },
      ],
    },
  }
}

/** Writes `mark` above (or below, for negative values) the marked bars. */
function barMarks(values, marked, mark = '*') {
  return {
    hooks: {
      draw: [
        (chart) => {
          const { ctx } = chart
          ctx.save()
          ctx.fillStyle = colours.significant
          ctx.textAlign = 'center'
          ctx.font = `bold ${15 * uPlot.pxRatio}px system-ui, sans-serif`
          for (let index = 0; index < values.length; index += 1) {
            if (!marked[index] || typeof values[index] !== 'number') continue
            const x = chart.valToPos(index, 'x', true)
            const y = chart.valToPos(values[index], 'y', true)
            ctx.textBaseline = values[index] >= 0 ? 'bottom' : 'top'
            ctx.fillText(mark, x, values[index] >= 0 ? y - 2 : y + 2)
          }
          ctx.restore()
        },
      ],
    },
  }
}

/**
 * Mounts a uPlot chart into `target` at the target's width and keeps it sized to it.
 * Returns a function that destroys it.
 */
function mount(target, options, data, hiddenLegend = []) {
  const width = Math.max(280, target.clientWidth || 600)
  const chart = new uPlot({ width, height: options.height ?? 260, ...options }, data, target)
  // Helper series (the band's edges) stay out of the legend.
  const legendRows = chart.root.querySelectorAll('.u-legend .u-series')
  for (const index of hiddenLegend) if (legendRows[index]) legendRows[index].style.display = 'none'
  let lastWidth = width
  const observer = new ResizeObserver(() => {
    const next = Math.max(280, target.clientWidth)
    if (Math.abs(next - lastWidth) > 4) {
      lastWidth = next
      chart.setSize({ width: next, height: options.height ?? 260 })
    }
  })
  observer.observe(target)
  return () => {
    observer.disconnect()
    chart.destroy()
  }
}

/**
 * A figure: caption, note, the chart area (filled by `draw` once the figure is in the page) and
 * the data table in a <details>. `figure.draw()` mounts the chart; `figure.destroy()` removes it.
 */
export function chartFigure({ id, title, note, table, draw }) {
  const area = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${title}. ${t('showTable')}.`,
  })
  const figure = h(
    'figure',
    { class: 'chart-figure', id },
    h('figcaption', null, title),
    note ? h('p', { class: 'note' }, note) : null,
    area,
    table
      ? h('details', { class: 'chart-table' }, h('summary', null, t('showTable')), table)
      : null,
  )
  let destroy = null
  figure.draw = () => {
    if (!destroy) destroy = draw(area)
  }
  figure.destroy = () => {
    if (destroy) destroy()
    destroy = null
  }
  return figure
}

const percentOf = (values) =>
  values.map((value) => (typeof value === 'number' ? value * 100 : null))

/**
 * Quarterly rates as lines: `lines` = [{label, values (proportions), colour, dash?}], optional
 * `band` = {low, high} (proportions) filled between, optional vertical marker at a period.
 */
export function drawRateLines(target, { periods, lines, band, marker, digits = 1 }) {
  const series = [{ label: t('colPeriod'), value: (_chart, value) => periods[value] ?? '' }]
  const data = [periods.map((_period, index) => index)]
  const bands = []
  if (band) {
    series.push(
      {
        label: t('seriesBandHigh'),
        stroke: 'transparent',
        points: { show: false },
        value: (_c, v) => (v === null ? '–' : `${number(v, 2)}%`),
      },
      {
        label: t('seriesBandLow'),
        stroke: 'transparent',
        points: { show: false },
        value: (_c, v) => (v === null ? '–' : `${number(v, 2)}%`),
      },
    )
    data.push(percentOf(band.high), percentOf(band.low))
    bands.push({ series: [1, 2], fill: colours.band })
  }
  for (const line of lines) {
    series.push({
      label: line.label,
      stroke: line.colour,
      width: 2,
      dash: line.dash,
      points: { show: true, size: 4, fill: line.colour },
      value: (_chart, value) => (value === null ? '–' : `${number(value, 2)}%`),
    })
    data.push(percentOf(line.values))
  }
  const markerIndex = marker ? periods.indexOf(marker.period) : -1
  return mount(
    target,
    {
      scales: { x: { time: false } },
      axes: [periodAxis(periods), percentAxis(digits)],
      series,
      bands,
      legend: { live: true },
      plugins: markerIndex >= 0 ? [verticalMarker(markerIndex - 0.5, marker.label)] : [],
    },
    data,
    band ? [1, 2] : [],
  )
}

/**
 * Bars of changes (proportions, drawn in percentage points) with significant ones in a second
 * colour and marked with an asterisk.
 */
export function drawChangeBars(target, { periods, changes, significant }) {
  const values = percentOf(changes)
  const bars = uPlot.paths.bars({ size: [0.7, 40], align: 0 })
  const pick = (wanted) =>
    values.map((value, index) => (Boolean(significant[index]) === wanted ? value : null))
  const format = (_chart, value) => (value === null ? '–' : `${number(value, 2)}`)
  return mount(
    target,
    {
      scales: { x: { time: false, range: (_chart, min, max) => [min - 0.6, max + 0.6] } },
      axes: [
        periodAxis(periods),
        axis({ size: 56, values: (_c, splits) => splits.map((v) => number(v, 2)) }),
      ],
      series: [
        { label: t('colPeriod'), value: (_chart, value) => periods[value] ?? '' },
        {
          label: t('colChange'),
          fill: colours.notSignificant,
          stroke: colours.notSignificant,
          paths: bars,
          points: { show: false },
          value: format,
        },
        {
          label: t('significant'),
          fill: colours.significant,
          stroke: colours.significant,
          paths: bars,
          points: { show: false },
          value: format,
        },
      ],
      plugins: [zeroLine(), barMarks(values, significant)],
    },
    [periods.map((_period, index) => index), pick(false), pick(true)],
  )
}

/** Points with 95% interval whiskers against event time, zero line and the start marked. */
export function drawEventStudy(target, { eventTimes, effects, low, high }) {
  const format = (_chart, value) => (value === null ? '–' : number(value, 3))
  const effectValues = percentOf(effects)
  const lowValues = percentOf(low)
  const highValues = percentOf(high)
  return mount(
    target,
    {
      scales: {
        x: { time: false, range: (_chart, min, max) => [min - 1, max + 1] },
        y: {
          range: (_chart, min, max) => {
            const values = [...lowValues, ...highValues, ...effectValues].filter(
              (value) => typeof value === 'number',
            )
            const lowest = Math.min(0, min, ...values)
            const highest = Math.max(0, max, ...values)
            const pad = (highest - lowest) * 0.08 || 0.1
            return [lowest - pad, highest + pad]
          },
        },
      },
      axes: [
        axis({ values: (_c, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) }),
        axis({ size: 56, values: (_c, splits) => splits.map((v) => number(v, 2)) }),
      ],
      series: [
        { label: t('colEventTime') },
        {
          label: t('colEffect'),
          stroke: colours.observed,
          paths: () => null,
          points: { show: true, size: 7, fill: colours.observed },
          value: format,
        },
      ],
      plugins: [
        zeroLine(),
        whiskers(lowValues, highValues),
        verticalMarker(-0.5, t('startMarked', { period: '' }).trim()),
      ],
    },
    [eventTimes, effectValues],
  )
}
