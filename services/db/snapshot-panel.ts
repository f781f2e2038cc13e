import { formatQuarter, parseQuarter, type Quarter } from '../../models/periods/quarter.js'
import {
  valueColumns,
  type SnapshotValues,
  type ValueColumn,
} from '../../models/vocabulary/indicators.js'

/**
 * The neighbourhood × quarter panel every analysis reads (issue 15: the same panel was read four
 * ways, each with a wire format and decoder of its own). One column-oriented structure: areas in
 * code order, the consecutive quarters from the first to the last one present, and per value
 * column of the vocabulary (models/vocabulary/indicators.ts) one Float64Array of areas × quarters
 * in which NaN marks a missing value — no row for that quarter (see `present`) or a NULL count.
 *
 * It is filled by one decoder, {@link decodePanelLines}, from lines in PostgreSQL's COPY text
 * format (`area_code \t period \t value … \n`, `\N` for NULL): on PostgreSQL the lines stream
 * from `COPY … TO STDOUT`, on the embedded engine they come as one aggregated text value of the
 * same format (services/repositories/snapshots-repository.ts `currentPanel`).
 *
 * Rows of an area under another code (a later CBS division, issue 16) are carried into a target
 * division after the panel is built, by services/db/panel-bridge.ts.
 */
export interface PanelArea {
  area_code: string
  area_name: string | null
  parent_code: string | null
  municipality_code: string
}

export interface SnapshotPanel {
  /** consecutive canonical quarters from the first to the last with a row */
  periods: readonly string[]
  periodIndex: ReadonlyMap<string, number>
  /** the areas with at least one row, ascending by code */
  areas: readonly PanelArea[]
  areaIndex: ReadonlyMap<string, number>
  /** per value column, `areas.length × periods.length` values; cell = area × periods + quarter */
  values: Readonly<Record<ValueColumn, Float64Array>>
  /** 1 where the area has a row for the quarter */
  present: Uint8Array
  /** changes with every upload that changes a snapshot (for caches keyed by the data) */
  dataVersion: string
}

/** Rows per block while decoding (blocks are added, never copied, as rows arrive). */
const blockRows = 1 << 15
const columnCount = valueColumns.length

interface RowBlock {
  areaPositions: Int32Array
  quarterOrdinals: Int32Array
  /** `columnCount` values per row, in `valueColumns` order */
  values: Float64Array
}

/** year × 4 + quarter − 1 */
const ordinalOf = (quarter: Quarter) => quarter.year * 4 + quarter.quarter - 1

/**
 * Collects decoded rows in typed blocks, then lays the panel out once every area and quarter is
 * known. Areas are known up front (with their names and parents), by position; rows of an area
 * that is not among them are skipped.
 */
export class PanelBuilder {
  private readonly blocks: RowBlock[] = []
  private length = 0
  private first = Number.POSITIVE_INFINITY
  private last = Number.NEGATIVE_INFINITY
  private readonly ordinalByPeriod = new Map<string, number>()
  private readonly positionByCode: Map<string, number>

  constructor(private readonly knownAreas: readonly PanelArea[]) {
    this.positionByCode = new Map(knownAreas.map((area, position) => [area.area_code, position]))
  }

  /** The area's position among the known areas, −1 for any other. */
  areaPosition(areaCode: string): number {
    return this.positionByCode.get(areaCode) ?? -1
  }

  /** The quarter ordinal of a period, NaN when it is not a quarter. */
  quarterOrdinal(period: string): number {
    let ordinal = this.ordinalByPeriod.get(period)
    if (ordinal === undefined) {
      const quarter = parseQuarter(period)
      ordinal = quarter ? ordinalOf(quarter) : Number.NaN
      this.ordinalByPeriod.set(period, ordinal)
    }
    return ordinal
  }

  /**
   * Room for one row: answers where in {@link rowValues} to write its `columnCount` values, or −1
   * when the area is unknown or the period is not a quarter. No object per row: a national panel
   * has 720,000 of them.
   */
  addRow(areaPosition: number, quarterOrdinal: number): number {
    if (areaPosition < 0 || Number.isNaN(quarterOrdinal)) return -1
    const row = this.length % blockRows
    if (row === 0) {
      this.blocks.push({
        areaPositions: new Int32Array(blockRows),
        quarterOrdinals: new Int32Array(blockRows),
        values: new Float64Array(blockRows * columnCount),
      })
      this.rowValues = this.blocks[this.blocks.length - 1].values
    }
    const block = this.blocks[this.blocks.length - 1]
    this.length += 1
    block.areaPositions[row] = areaPosition
    block.quarterOrdinals[row] = quarterOrdinal
    if (quarterOrdinal < this.first) this.first = quarterOrdinal
    if (quarterOrdinal > this.last) this.last = quarterOrdinal
    return row * columnCount
  }

  /** The values of the block the last added row lies in. */
  rowValues: Float64Array = new Float64Array(0)

  /** A row given as an object keyed by the vocabulary's columns (NULL as null). */
  addObject(
    areaCode: string,
    period: string,
    row: Readonly<Record<ValueColumn, number | null>>,
  ): void {
    const at = this.addRow(this.areaPosition(areaCode), this.quarterOrdinal(period))
    if (at < 0) return
    valueColumns.forEach((column, index) => {
      this.rowValues[at + index] = row[column] ?? Number.NaN
    })
  }

  build(dataVersion: string): SnapshotPanel {
    const periods: string[] = []
    if (this.length > 0) {
      for (let ordinal = this.first; ordinal <= this.last; ordinal += 1) {
        periods.push(
          formatQuarter({
            year: Math.floor(ordinal / 4),
            quarter: ((ordinal % 4) + 1) as Quarter['quarter'],
          }),
        )
      }
    }
    const periodCount = periods.length
    // areas with rows, in the known (code) order
    const hasRows = new Uint8Array(this.knownAreas.length)
    for (const { areaPositions, rows } of this.filledBlocks()) {
      for (let row = 0; row < rows; row += 1) hasRows[areaPositions[row]] = 1
    }
    const rank = new Int32Array(this.knownAreas.length).fill(-1)
    const areas: PanelArea[] = []
    this.knownAreas.forEach((area, position) => {
      if (!hasRows[position]) return
      rank[position] = areas.length
      areas.push(area)
    })
    const cells = areas.length * periodCount
    const values = Object.fromEntries(
      valueColumns.map((column) => [column, new Float64Array(cells).fill(Number.NaN)]),
    ) as Record<ValueColumn, Float64Array>
    const columns = valueColumns.map((column) => values[column])
    const present = new Uint8Array(cells)
    for (const { areaPositions, quarterOrdinals, values: source, rows } of this.filledBlocks()) {
      for (let row = 0; row < rows; row += 1) {
        const cell = rank[areaPositions[row]] * periodCount + (quarterOrdinals[row] - this.first)
        present[cell] = 1
        const at = row * columnCount
        for (let column = 0; column < columnCount; column += 1) {
          columns[column][cell] = source[at + column]
        }
      }
    }
    return {
      periods,
      periodIndex: new Map(periods.map((period, index) => [period, index])),
      areas,
      areaIndex: new Map(areas.map((area, index) => [area.area_code, index])),
      values,
      present,
      dataVersion,
    }
  }

  /** The blocks with how many rows each holds (the last one is partly filled). */
  private filledBlocks(): Array<RowBlock & { rows: number }> {
    return this.blocks.map((block, index) => ({
      ...block,
      rows: Math.min(blockRows, this.length - index * blockRows),
    }))
  }
}

/** A field of COPY's text format as an integer; `\N` (NULL) as NaN. */
function copyInteger(text: string, start: number, end: number): number {
  let at = start
  if (text.charCodeAt(at) === 92) return Number.NaN
  let sign = 1
  if (text.charCodeAt(at) === 45) {
    sign = -1
    at += 1
  }
  let value = 0
  for (; at < end; at += 1) value = value * 10 + (text.charCodeAt(at) - 48)
  return sign * value
}

/** The decoder's memory of the last area code, carried from one chunk to the next. */
export interface DecoderState {
  code: string
  position: number
}

export const newDecoderState = (): DecoderState => ({ code: '', position: -1 })

/**
 * The one panel decoder: parses the complete lines of `text` (COPY text format: area code,
 * period and the vocabulary's value columns, tab-separated; area codes and canonical periods
 * never need escaping) into `builder`; answers where the unfinished last line starts. Rows of one
 * area mostly come together, so the last area code is compared in place before a lookup, and a
 * canonical `2024Q3` is read without making a string.
 */
export function decodePanelLines(text: string, builder: PanelBuilder, state: DecoderState): number {
  let lineStart = 0
  for (;;) {
    const lineEnd = text.indexOf('\n', lineStart)
    if (lineEnd < 0) return lineStart
    const codeEnd = text.indexOf('\t', lineStart)
    const periodEnd = text.indexOf('\t', codeEnd + 1)
    if (codeEnd - lineStart !== state.code.length || !text.startsWith(state.code, lineStart)) {
      state.code = text.slice(lineStart, codeEnd)
      state.position = builder.areaPosition(state.code)
    }
    const periodStart = codeEnd + 1
    const quarter = text.charCodeAt(periodStart + 5) - 48
    const ordinal =
      periodEnd - periodStart === 6 &&
      text.charCodeAt(periodStart + 4) === 81 &&
      quarter >= 1 &&
      quarter <= 4
        ? copyInteger(text, periodStart, periodStart + 4) * 4 + quarter - 1
        : builder.quarterOrdinal(text.slice(periodStart, periodEnd))
    const at = builder.addRow(state.position, ordinal)
    if (at >= 0) {
      const values = builder.rowValues
      let fieldStart = periodEnd + 1
      for (let column = 0; column < columnCount; column += 1) {
        const fieldEnd = column === columnCount - 1 ? lineEnd : text.indexOf('\t', fieldStart)
        values[at + column] = copyInteger(text, fieldStart, fieldEnd)
        fieldStart = fieldEnd + 1
      }
    }
    lineStart = lineEnd + 1
  }
}

// ---------------------------------------------------------------- reading a panel

/** One area's series in the panel: a view per column (no copy), NaN where missing. */
export function areaSeriesOf(
  panel: SnapshotPanel,
  areaPosition: number,
): Record<ValueColumn, Float64Array> {
  const length = panel.periods.length
  const from = areaPosition * length
  return Object.fromEntries(
    valueColumns.map((column) => [column, panel.values[column].subarray(from, from + length)]),
  ) as Record<ValueColumn, Float64Array>
}

/**
 * One area's rows as objects, only the quarters it has a row for, in period order (the youth
 * population of a stored row is never NULL).
 */
export function areaRowsOf(
  panel: SnapshotPanel,
  areaPosition: number,
): Array<{ period: string } & SnapshotValues> {
  const length = panel.periods.length
  const rows: Array<{ period: string } & SnapshotValues> = []
  for (let t = 0; t < length; t += 1) {
    const cell = areaPosition * length + t
    if (!panel.present[cell]) continue
    const row = { period: panel.periods[t] } as { period: string } & Record<
      ValueColumn,
      number | null
    >
    for (const column of valueColumns) {
      const value = panel.values[column][cell]
      row[column] = Number.isNaN(value) ? null : value
    }
    rows.push(row as { period: string } & SnapshotValues)
  }
  return rows
}
