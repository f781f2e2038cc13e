import t from 'tap'
import fc from 'fast-check'
import { parse } from 'csv-parse/sync'
import { itemsToCsv, listCsvColumns } from '../../../services/hooks/csv-table.js'
import { AreaListSchema } from '../../../services/schemas/areas.js'
import { TrendListSchema } from '../../../services/schemas/trends.js'
import { RiskListSchema } from '../../../services/schemas/risk.js'

t.test('columns come from the list schema, nested objects flattened', async (t) => {
  t.same(listCsvColumns(AreaListSchema), ['area_code', 'area_name', 'level', 'parent_code'])
  const trendColumns = listCsvColumns(TrendListSchema) ?? []
  t.ok(trendColumns.includes('p_adjusted'))
  t.ok(trendColumns.includes('mann_kendall.p'), 'a nullable object becomes dotted columns')
  t.notOk(trendColumns.includes('mann_kendall'))
  t.equal(listCsvColumns(RiskListSchema)?.[0], 'area_code')
  t.equal(listCsvColumns({ type: 'object', properties: { status: { type: 'string' } } }), undefined)
  t.equal(listCsvColumns(undefined), undefined)
})

t.test('cells: NULL empty, booleans as words, arrays as JSON, numbers as written', async (t) => {
  const text = itemsToCsv(
    [
      { a: 'x', b: null, c: true, d: [{ area_code: 'BU1', weight: 0.5 }], e: -0.25, f: { g: 3 } },
      { a: 'y, "quoted"', c: false, e: 1e-12 },
    ],
    ['a', 'b', 'c', 'd', 'e', 'f.g'],
  )
  t.equal(
    text,
    'a,b,c,d,e,f.g\r\n' +
      'x,,true,"[{""area_code"":""BU1"",""weight"":0.5}]",-0.25,3\r\n' +
      '"y, ""quoted""",,false,,1e-12,\r\n',
  )
  t.equal(itemsToCsv([], ['a', 'b']), 'a,b\r\n', 'an empty list still has its header')
})

t.test('a text cell a spreadsheet would run as a formula gets a leading quote', async (t) => {
  for (const name of ["=cmd|' /C calc'!A0", '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
    const [, row] = parse(itemsToCsv([{ name }], ['name']), {
      relax_column_count: true,
    }) as string[][]
    t.equal(row[0], `'${name}`, JSON.stringify(name))
  }
  const [, negative] = parse(itemsToCsv([{ n: -3 }], ['n'])) as string[][]
  t.equal(negative[0], '-3', 'a negative number is no formula')
})

t.test('a cell with a lone line break is quoted, so it stays one cell (finding 6)', async (t) => {
  for (const name of ['x\n=1+1', 'x\r=1+1', 'x\r\n=1+1']) {
    const text = itemsToCsv([{ name }], ['name'])
    t.ok(text.includes(`"${name}"`), `${JSON.stringify(name)} is quoted`)
    const rows = parse(text) as string[][]
    t.equal(rows.length, 2, 'one record, not two')
    t.equal(rows[1][0], name)
  }
})

/** Text cells with the characters that matter to CSV and spreadsheets, line breaks included. */
const cellText = fc.oneof(
  fc.string(),
  fc.string({
    unit: fc.constantFrom('a', '1', ' ', '=', '+', '-', '@', '\t', '\r', '\n', '"', ',', ';'),
  }),
)

t.test(
  'property: every string survives a round trip, formulas escaped, nothing else touched',
  async (t) => {
    t.doesNotThrow(() =>
      fc.assert(
        fc.property(fc.array(cellText, { minLength: 1, maxLength: 20 }), (names) => {
          const text = itemsToCsv(
            names.map((name) => ({ name })),
            ['name'],
          )
          const rows = parse(text, { relax_quotes: false }) as string[][]
          if (rows.length !== names.length + 1) return false
          return names.every((name, index) => {
            const cell = rows[index + 1][0]
            return /^[=+\-@\t\r]/.test(name) ? cell === `'${name}` : cell === name
          })
        }),
      ),
    )
  },
)
