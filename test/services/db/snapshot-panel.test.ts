import t from 'tap'
import fc from 'fast-check'
import {
  PanelBuilder,
  areaRowsOf,
  areaSeriesOf,
  decodePanelLines,
  newDecoderState,
  type PanelArea,
  type SnapshotPanel,
} from '../../../services/db/snapshot-panel.js'
import { valueColumns, type ValueColumn } from '../../../models/vocabulary/indicators.js'

/**
 * The panel decoder and builder (services/db/snapshot-panel.ts) alone, without a database: lines
 * of COPY's text format in, one column-oriented panel out.
 */

const area = (code: string, name: string | null = null): PanelArea => ({
  area_code: code,
  area_name: name,
  parent_code: `WK${code.slice(2, 8)}`,
  municipality_code: `GM${code.slice(2, 6)}`,
})

const centrum = area('BU05180101', 'Centrum')
const haven = area('BU05180102', 'Haven')
const duinen = area('BU05180201', 'Duinen')

type Values = ReadonlyArray<number | null>

/** One snapshot as a COPY text line: area, period, the value columns, `\N` for NULL. */
const line = (code: string, period: string, values: Values) =>
  [code, period, ...values.map((value) => (value === null ? '\\N' : String(value)))].join('\t') +
  '\n'

/** Values for every column of the vocabulary: the base, then the counts. */
const row = (base: number, ...counts: Array<number | null>): Values => {
  if (counts.length !== valueColumns.length - 1) throw new Error('one value per column')
  return [base, ...counts]
}

/** Decodes `text` in one call, as the embedded engine's aggregated text is decoded. */
function decodeWhole(areas: readonly PanelArea[], text: string, version = 'v1'): SnapshotPanel {
  const builder = new PanelBuilder(areas)
  const rest = decodePanelLines(text, builder, newDecoderState())
  if (rest !== text.length) decodePanelLines(`${text.slice(rest)}\n`, builder, newDecoderState())
  return builder.build(version)
}

/**
 * Decodes `text` cut at `cuts` the way the COPY stream is read (snapshots-repository.ts): each
 * chunk is appended to the unfinished line, the decoder answers where the unfinished line starts,
 * and what is left at the end is decoded with a newline added.
 */
function decodeInChunks(
  areas: readonly PanelArea[],
  text: string,
  cuts: readonly number[],
  version = 'v1',
): SnapshotPanel {
  const builder = new PanelBuilder(areas)
  const state = newDecoderState()
  const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), text.length]
  let unfinished = ''
  for (let index = 1; index < bounds.length; index += 1) {
    const chunk = unfinished + text.slice(bounds[index - 1], bounds[index])
    unfinished = chunk.slice(decodePanelLines(chunk, builder, state))
  }
  if (unfinished.length > 0) decodePanelLines(`${unfinished}\n`, builder, state)
  return builder.build(version)
}

/** A panel as plain data (NaN spelled out), for comparing two panels or asserting one. */
function plain(panel: SnapshotPanel) {
  const spell = (value: number) => (Number.isNaN(value) ? 'NaN' : value)
  return {
    periods: [...panel.periods],
    periodIndex: [...panel.periodIndex],
    areas: panel.areas.map((entry) => entry.area_code),
    areaIndex: [...panel.areaIndex],
    present: [...panel.present],
    values: Object.fromEntries(
      valueColumns.map((column) => [column, [...panel.values[column]].map(spell)]),
    ),
    dataVersion: panel.dataVersion,
  }
}

/** The values of one column of one area across the panel's quarters (NaN spelled out). */
const seriesOf = (panel: SnapshotPanel, code: string, column: ValueColumn) =>
  [...areaSeriesOf(panel, panel.areaIndex.get(code)!)[column]].map((value) =>
    Number.isNaN(value) ? 'NaN' : value,
  )

const [base, firstCount] = valueColumns
const lastCount = valueColumns[valueColumns.length - 1]

t.test('decodePanelLines and PanelBuilder', async (t) => {
  t.test('when the input is empty, then the panel has no areas, no quarters and no cells', (t) => {
    const panel = decodeWhole([centrum, haven], '', 'v0')

    t.same(panel.periods, [])
    t.same(panel.areas, [])
    t.equal(panel.present.length, 0)
    for (const column of valueColumns) t.equal(panel.values[column].length, 0, column)
    t.equal(panel.dataVersion, 'v0')
    t.end()
  })

  t.test(
    'when an area skips quarters, then the quarters run consecutively from first to last and the gaps are missing',
    (t) => {
      const text =
        line(centrum.area_code, '2023Q3', row(100, 1, 2, 3, 4)) +
        line(centrum.area_code, '2024Q2', row(110, 5, 6, 7, 8))

      const panel = decodeWhole([centrum], text)

      t.same(panel.periods, ['2023Q3', '2023Q4', '2024Q1', '2024Q2'])
      t.same(
        [...panel.periodIndex.entries()],
        [
          ['2023Q3', 0],
          ['2023Q4', 1],
          ['2024Q1', 2],
          ['2024Q2', 3],
        ],
      )
      t.same([...panel.present], [1, 0, 0, 1], 'present only where a row came')
      t.same(seriesOf(panel, centrum.area_code, base), [100, 'NaN', 'NaN', 110])
      t.same(seriesOf(panel, centrum.area_code, lastCount), [4, 'NaN', 'NaN', 8])
      t.end()
    },
  )

  t.test('when a count is NULL, then it is NaN but the quarter is present', (t) => {
    const text =
      line(centrum.area_code, '2024Q1', row(100, null, 2, 3, null)) +
      line(centrum.area_code, '2024Q3', row(90, 1, 2, 3, 4))

    const panel = decodeWhole([centrum], text)

    t.same([...panel.present], [1, 0, 1], 'NULL: present; no row: absent')
    t.same(seriesOf(panel, centrum.area_code, firstCount), ['NaN', 'NaN', 1])
    t.same(seriesOf(panel, centrum.area_code, lastCount), ['NaN', 'NaN', 4])
    const rows = areaRowsOf(panel, 0)
    t.same(
      rows.map((entry) => entry.period),
      ['2024Q1', '2024Q3'],
      'only the quarters with a row',
    )
    t.equal(rows[0][firstCount], null, 'a NULL count is null, not a missing row')
    t.equal(rows[0][lastCount], null)
    t.equal(rows[0][base], 100)
    t.equal(rows[1][lastCount], 4)
    t.end()
  })

  t.test(
    'when rows name areas that are not known, then they are skipped and do not widen the quarters',
    (t) => {
      const text =
        line('BU09990101', '2020Q1', row(50, 1, 1, 1, 1)) +
        line(centrum.area_code, '2024Q1', row(100, 1, 2, 3, 4)) +
        line('BU09990101', '2024Q4', row(50, 1, 1, 1, 1)) +
        line(haven.area_code, '2024Q2', row(80, 0, 0, 0, 0))

      const panel = decodeWhole([centrum, haven], text)

      t.same(
        panel.areas.map((entry) => entry.area_code),
        [centrum.area_code, haven.area_code],
      )
      t.same(panel.periods, ['2024Q1', '2024Q2'])
      t.same([...panel.present], [1, 0, 0, 1])
      t.end()
    },
  )

  t.test('when a known area has no row, then it is left out of the panel', (t) => {
    const text = line(haven.area_code, '2024Q1', row(80, 1, 2, 3, 4))

    const panel = decodeWhole([centrum, haven, duinen], text)

    t.same(
      panel.areas.map((entry) => entry.area_code),
      [haven.area_code],
    )
    t.same([...panel.areaIndex.entries()], [[haven.area_code, 0]])
    t.same(panel.areas[0], haven, 'the area as given, name and parent included')
    t.end()
  })

  t.test(
    'when the known areas are not in code order, then the panel keeps their order, whatever order the rows come in',
    (t) => {
      const known = [duinen, centrum, haven]
      const text =
        line(haven.area_code, '2024Q1', row(3, 0, 0, 0, 3)) +
        line(centrum.area_code, '2024Q1', row(2, 0, 0, 0, 2)) +
        line(duinen.area_code, '2024Q1', row(1, 0, 0, 0, 1))

      const panel = decodeWhole(known, text)

      t.same(
        panel.areas.map((entry) => entry.area_code),
        known.map((entry) => entry.area_code),
      )
      t.same([...panel.values[lastCount]], [1, 2, 3])
      t.end()
    },
  )

  t.test(
    'when periods are spelled other than canonically, then they land on their quarter',
    (t) => {
      const text =
        line(centrum.area_code, '2024-Q1', row(10, 0, 0, 0, 1)) +
        line(centrum.area_code, '2024 Q2', row(10, 0, 0, 0, 2)) +
        line(centrum.area_code, '2024KW03', row(10, 0, 0, 0, 3)) +
        line(centrum.area_code, '2024kw4', row(10, 0, 0, 0, 4)) +
        line(centrum.area_code, '2025q1', row(10, 0, 0, 0, 5))

      const panel = decodeWhole([centrum], text)

      t.same(panel.periods, ['2024Q1', '2024Q2', '2024Q3', '2024Q4', '2025Q1'])
      t.same(seriesOf(panel, centrum.area_code, lastCount), [1, 2, 3, 4, 5])
      t.end()
    },
  )

  t.test('when a period is not a quarter, then its row is skipped', (t) => {
    const text =
      line(centrum.area_code, '2024Q5', row(10, 0, 0, 0, 9)) +
      line(centrum.area_code, '2024Q0', row(10, 0, 0, 0, 9)) +
      line(centrum.area_code, 'soon', row(10, 0, 0, 0, 9)) +
      line(centrum.area_code, '2024Q2', row(10, 0, 0, 0, 2))

    const panel = decodeWhole([centrum], text)

    t.same(panel.periods, ['2024Q2'])
    t.same([...panel.values[lastCount]], [2])
    t.end()
  })

  t.test('when values are negative or zero, then they are decoded with their sign', (t) => {
    const text = line(centrum.area_code, '2024Q1', row(0, -1, -250, 0, -2147483648))

    const panel = decodeWhole([centrum], text)

    t.same(
      valueColumns.map((column) => panel.values[column][0]),
      [0, -1, -250, 0, -2147483648],
    )
    t.end()
  })

  t.test('when the input has no final newline, then the unfinished line is left for later', (t) => {
    const builder = new PanelBuilder([centrum])
    const text =
      line(centrum.area_code, '2024Q1', row(10, 0, 0, 0, 1)) +
      line(centrum.area_code, '2024Q2', row(10, 0, 0, 0, 2)).slice(0, -1)

    const rest = decodePanelLines(text, builder, newDecoderState())

    t.equal(rest, text.indexOf('\n') + 1, 'the second line starts where the answer points')
    t.same(builder.build('v').periods, ['2024Q1'], 'only the finished line was read')
    t.end()
  })

  t.test(
    'when more rows arrive than one block holds, then every row is placed (rows of many blocks)',
    (t) => {
      const known = Array.from({ length: 700 }, (_, index) =>
        area(`BU0518${String(index).padStart(4, '0')}`),
      )
      const periods = Array.from(
        { length: 60 },
        (_, index) => `${2010 + Math.floor(index / 4)}Q${(index % 4) + 1}`,
      )
      let text = ''
      known.forEach((entry, a) =>
        periods.forEach(
          (period, p) => (text += line(entry.area_code, period, row(a, p, 0, 0, a + p))),
        ),
      )

      const panel = decodeWhole(known, text)

      t.equal(panel.areas.length, 700)
      t.equal(panel.periods.length, 60)
      t.equal(
        panel.present.reduce((sum, flag) => sum + flag, 0),
        42_000,
        'every cell present',
      )
      const cell = (a: number, p: number) => a * 60 + p
      t.equal(panel.values[lastCount][cell(699, 59)], 699 + 59)
      t.equal(panel.values[firstCount][cell(350, 17)], 17)
      t.equal(panel.values[base][cell(546, 0)], 546)
      t.end()
    },
  )

  t.test(
    'when the builder is given rows as objects, then it builds the panel the decoder builds from the same lines',
    (t) => {
      const rows: Array<[PanelArea, string, Values]> = [
        [centrum, '2024Q1', row(100, 1, null, 3, 4)],
        [haven, '2024Q3', row(80, null, 2, 0, 1)],
        [centrum, '2024Q3', row(101, 2, 2, 2, 2)],
      ]
      const fromObjects = new PanelBuilder([centrum, haven])
      for (const [entry, period, values] of rows) {
        fromObjects.addObject(
          entry.area_code,
          period,
          Object.fromEntries(
            valueColumns.map((column, index) => [column, values[index]]),
          ) as Record<ValueColumn, number | null>,
        )
      }

      const decoded = decodeWhole(
        [centrum, haven],
        rows.map(([entry, period, values]) => line(entry.area_code, period, values)).join(''),
      )

      t.same(plain(fromObjects.build('v1')), plain(decoded))
      t.end()
    },
  )
})

t.test('areaSeriesOf and areaRowsOf', async (t) => {
  const text =
    line(centrum.area_code, '2024Q1', row(100, 1, 2, 3, 4)) +
    line(haven.area_code, '2024Q2', row(80, 5, null, 7, 8))
  const panel = decodeWhole([centrum, haven], text)

  t.test(
    'when an area is read as series, then each column is a view of the panel, not a copy',
    (t) => {
      const series = areaSeriesOf(panel, 1)

      for (const column of valueColumns) {
        t.equal(series[column].buffer, panel.values[column].buffer, `${column} shares the buffer`)
        t.equal(series[column].length, panel.periods.length)
      }
      t.same(seriesOf(panel, haven.area_code, base), ['NaN', 80])
      t.same(seriesOf(panel, haven.area_code, valueColumns[2]), ['NaN', 'NaN'])
      t.end()
    },
  )

  t.test('when an area is read as rows, then only its quarters with a row come, in order', (t) => {
    const rows = areaRowsOf(panel, 1)

    t.equal(rows.length, 1)
    t.equal(rows[0].period, '2024Q2')
    t.same(
      valueColumns.map((column) => rows[0][column]),
      [80, 5, null, 7, 8],
    )
    t.same(
      areaRowsOf(panel, 0).map((entry) => entry.period),
      ['2024Q1'],
    )
    t.end()
  })
})

t.test(
  'property: however the lines are cut into chunks, the panel is the one of the rows',
  async (t) => {
    const knownAreas = [centrum, haven, duinen, area('BU05180301'), area('BU05190101')]
    const codes = [...knownAreas.map((entry) => entry.area_code), 'BU09990101', 'BU0518']
    const quarterOf = fc
      .tuple(fc.integer({ min: 2015, max: 2026 }), fc.integer({ min: 1, max: 4 }))
      .chain(([year, quarter]) =>
        fc.constantFrom(
          `${year}Q${quarter}`,
          `${year}Q${quarter}`,
          `${year}-Q${quarter}`,
          `${year}KW0${quarter}`,
          `${year}q${quarter}`,
        ),
      )
    const value = fc.option(fc.integer({ min: -1_000_000, max: 1_000_000 }), { freq: 5 })
    const rowArbitrary = fc.tuple(
      fc.constantFrom(...codes),
      quarterOf,
      fc.array(value, { minLength: valueColumns.length, maxLength: valueColumns.length }),
    )
    const input = fc.array(rowArbitrary, { maxLength: 40 }).chain((rows) => {
      const text = rows.map(([code, period, values]) => line(code, period, values)).join('')
      // every other case ends without a newline, as the last COPY chunk may
      const trimmed = text.length > 0 && rows.length % 2 === 1 ? text.slice(0, -1) : text
      return fc.tuple(
        fc.constant(rows),
        fc.constant(trimmed),
        fc.array(fc.integer({ min: 0, max: trimmed.length }), { maxLength: 30 }),
      )
    })
    /** The same rows given to the builder as objects: the panel the lines must decode to. */
    const reference = (rows: ReadonlyArray<[string, string, Values]>) => {
      const builder = new PanelBuilder(knownAreas)
      for (const [code, period, values] of rows) {
        builder.addObject(
          code,
          period,
          Object.fromEntries(
            valueColumns.map((column, index) => [column, values[index]]),
          ) as Record<ValueColumn, number | null>,
        )
      }
      return plain(builder.build('v1'))
    }

    t.doesNotThrow(() =>
      fc.assert(
        fc.property(input, ([rows, text, cuts]) => {
          const expected = JSON.stringify(reference(rows))
          const whole = JSON.stringify(plain(decodeWhole(knownAreas, text)))
          const chunked = JSON.stringify(plain(decodeInChunks(knownAreas, text, cuts)))
          return whole === expected && chunked === expected
        }),
        { seed: 20261202, numRuns: 300 },
      ),
    )

    t.test('when every line is its own chunk cut mid-field, then the panel is the same', (t) => {
      const text =
        line(centrum.area_code, '2024Q1', row(100, 1, -2, null, 4)) +
        line(centrum.area_code, '2024Q3', row(100, 1, 2, 3, 4)) +
        line(haven.area_code, '2024KW02', row(-5, null, null, null, null))
      const everyCharacter = Array.from({ length: text.length }, (_, index) => index)

      t.same(
        plain(decodeInChunks([centrum, haven], text, everyCharacter)),
        plain(decodeWhole([centrum, haven], text)),
      )
      t.end()
    })
  },
)
